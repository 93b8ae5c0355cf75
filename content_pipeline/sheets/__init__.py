"""Google Sheets as a source of links and a destination for results (gspread, under quotas)."""

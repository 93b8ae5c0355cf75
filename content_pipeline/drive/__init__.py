"""Google Drive v3 through google-auth's AuthorizedSession: the day's export files uploaded to a Drive folder."""

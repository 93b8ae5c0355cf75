"""Step retry policies: Dagster runs a failed step again after a wait that grows with each retry, with jitter, on top
of the retries inside the clients (the fetcher, the AI provider and the Sheets client retry each request)."""

import dagster as dg

# fetch and categorize: a website, a proxy or the AI provider failing for a while (waits 5 s, then 15 s, each +-5 s)
NETWORK_RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
# filed_images, export, export_files: a full, busy or briefly unmounted disk (an image that cannot be filed is a
# row with the reason, not a failure)
DISK_RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
# sheet_results: Sheets' quotas are per minute and the client has already retried each request for a while, so the
# step waits 30 s, then 90 s, then 210 s (Dagster's (2**n - 1) * delay, each +-30 s); a refused key or a sheet that is
# not shared fails at once (dg.Failure without retries)
SHEETS_RETRY = dg.RetryPolicy(max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)

"""Client side: the HTTP client, pull, upload, grant display, text tables; no node side."""

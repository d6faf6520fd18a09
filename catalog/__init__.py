"""Holdings as STAC collections and items: synthetic data, ingest, search, who-has-what."""

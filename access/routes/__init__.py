"""The access package's FastAPI routers (directory, requests and grants)."""

"""Crypt4GH containers, signed manifests, blob stores (local directory, S3), download and upload."""

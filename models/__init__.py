"""ML model registry and the evaluation enclave (submission, sandbox, metrics, release).

Nothing lives here yet: the enclave is a later issue. The package exists so the layer contract
(clearance > models > catalog > transfer > access) is checked from the start.
"""

"""Resumable upload sessions: the session store, safe tar archives and the upload headers."""

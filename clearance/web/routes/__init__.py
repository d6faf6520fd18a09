"""The page routers: sign-in and home (``auth``), requests and grants (``access_pages``),
who-has-what and holdings (``catalog_pages``), the audit log (``audit_pages``), the scan viewer
(``viewer_pages``) and evaluations (``model_pages``)."""

"""The ``clearance`` command line, split by audience.

``node.py``: commands run on the node (administration, data, publishing, serving, audit, demo);
they import the node side (FastAPI, SQLAlchemy, Alembic) lazily, when they run.
``client.py``: commands that talk to a node over HTTP or work on local files (request, review,
grant, keys, upload, pull, decrypt); they never import the node side.
"""

from clearance.cli.node import cli, main

__all__ = ["cli", "main"]

"""Administrations, users, roles, restrictedness policy, requests, grants, keys and the audit log.

The base layer: it also holds the few primitives every other package shares (clock, ids, keys,
the SQLAlchemy declarative base). It imports no other Clearance package.
"""

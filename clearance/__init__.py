"""Composition root: settings, app factory, HTTP error mapping, CLI and web pages."""

"""The node's HTTP face: app factory, error table, routes that join packages, serving."""

"""What a model could try if it could run code, under the sandbox's own confinement: run by
the test through ``models.sandbox.start_child``; prints one JSON report on stdout.

Arguments after the sandbox's: KEY_FILE READABLE_FILE PORT."""

from __future__ import annotations

import argparse
import json
import os
import sys

from models.confine import confine


def _attempt(action: object) -> str:
    try:
        action()  # type: ignore[operator]
    except OSError as exc:
        return f"failed: {exc.__class__.__name__}"
    return "succeeded"


def _preload() -> object:
    import socket

    return socket


def main() -> None:
    parser = argparse.ArgumentParser()
    for flag in ("--memory", "--cpu", "--threads"):
        parser.add_argument(flag, type=int)
    parser.add_argument("--isolation")
    parser.add_argument("key")
    parser.add_argument("readable")
    parser.add_argument("port", type=int)
    args = parser.parse_args(sys.argv[1:])
    socket, skipped = confine(args.memory, args.cpu, strict=True, preload=_preload)

    def connect() -> None:
        with socket.socket() as client:  # a numeric address: no resolver, no lazy import
            client.settimeout(2)
            client.connect(("127.0.0.1", args.port))

    def read(path: str) -> None:
        with open(path, "rb") as handle:
            handle.read()

    def big_write() -> None:
        with open(f"/tmp/clearance-hostile-{os.getpid()}", "wb") as handle:
            handle.write(b"x" * 4096)

    report = {
        "uid": os.getuid(),
        "skipped": skipped,
        "key": _attempt(lambda: read(args.key)),
        "readable": _attempt(lambda: read(args.readable)),
        "create_in_cwd": _attempt(lambda: open("planted", "wb").close()),
        "write_in_tmp": _attempt(big_write),
        "connect": _attempt(connect),
        "environment": sorted(os.environ),
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()

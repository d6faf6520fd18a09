#!/usr/bin/env python
"""Crypt4GH throughput: ``transfer.crypt4gh`` against the reference ``crypt4gh`` command.

One run encrypts and decrypts the same random file with ours (in process, key
files loaded and unlocked inside the timed region) and with the reference
command-line tool (``crypt4gh encrypt|decrypt``, stdin/stdout redirected to
files, passphrase through C4GH_PASSPHRASE; its timing includes interpreter
start-up). Each operation is run ``--repeats`` times, interleaved, and the
median MB/s (10^6 plaintext bytes per second) is reported. Header
re-encryption is timed on a 1 MiB file and on the benchmark file.

``--sinks`` then decrypts the same file with both again, interleaved, each writing its output
to a file in ``--workdir``, to a file in tmpfs (``/dev/shm``) and to ``/dev/null`` (``os.sync``
before every run, untimed), and reports per-round ratios, with both ciphers bare (64 KiB
segments in memory: ``cryptography``'s ChaCha20-Poly1305, and the reference's own libsodium
extension). A decrypt to a file on disk measures the disk as soon as the output is more than the
kernel lets one writer keep dirty (writeback throttling): both tools then run at the disk's
write-back speed and the ratio says more about the order of the runs than about the code
(issue 14: the 3.23x once reported and the 0.96x that did not reproduce it).

Usage: python benchmarks/crypt4gh_throughput.py [--size-mib 1024] [--repeats 3] [--sinks]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from transfer import crypt4gh as c4

PASSPHRASE = "benchmark-passphrase"
MIB = 1 << 20


def make_random_file(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = min(left, 4 * MIB)
            f.write(os.urandom(chunk))
            left -= chunk


def same_content(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            ca, cb = fa.read(4 * MIB), fb.read(4 * MIB)
            if ca != cb:
                return False
            if not ca:
                return True


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


class Workspace:
    """Paths and key files of one benchmark run."""

    def __init__(self, root: Path, size: int) -> None:
        self.root, self.size = root, size
        self.plain = root / "plain.bin"
        self.writer_sk, self.writer_pk = root / "writer.sec", root / "writer.pub"
        self.reader_sk, self.reader_pk = root / "reader.sec", root / "reader.pub"
        c4.generate_keypair(self.writer_sk, self.writer_pk, PASSPHRASE)
        c4.generate_keypair(self.reader_sk, self.reader_pk, PASSPHRASE)
        make_random_file(self.plain, size)

    def path(self, name: str) -> Path:
        return self.root / name


def ours_encrypt(ws: Workspace, src: Path, dst: Path) -> None:
    writer = c4.load_private_key(ws.writer_sk, PASSPHRASE)
    recipient = c4.load_public_key(ws.reader_pk)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        c4.encrypt(fin, fout, writer_sk=writer, recipient_pks=[recipient])


def ours_decrypt(ws: Workspace, src: Path, dst: Path) -> None:
    reader = c4.load_private_key(ws.reader_sk, PASSPHRASE)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        c4.decrypt(fin, fout, reader_sk=reader)


def reference_command(cli: str, ws: Workspace, action: str) -> list[str]:
    if action == "encrypt":
        return [cli, "encrypt", "--sk", str(ws.writer_sk), "--recipient_pk", str(ws.reader_pk)]
    return [cli, "decrypt", "--sk", str(ws.reader_sk)]


def reference_run(cli: str, ws: Workspace, action: str, src: Path, dst: Path) -> None:
    env = dict(os.environ, C4GH_PASSPHRASE=PASSPHRASE)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        subprocess.run(
            reference_command(cli, ws, action),
            stdin=fin,
            stdout=fout,
            stderr=subprocess.DEVNULL,
            env=env,
            check=True,
        )


def throughput(cli: str, ws: Workspace, repeats: int) -> dict[str, list[float]]:
    """Seconds per run for each (implementation, operation), runs interleaved.

    Each output file is deleted (untimed) before its run, so no run waits for
    the write-back of the previous run's pages when truncating.
    """
    runs: dict[str, list[float]] = {}
    ours_c4, ref_c4 = ws.path("ours.c4gh"), ws.path("ref.c4gh")
    ours_out, ref_out = ws.path("ours.out"), ws.path("ref.out")
    jobs: list[tuple[str, Path, Callable[[], None]]] = [
        ("ours encrypt", ours_c4, lambda: ours_encrypt(ws, ws.plain, ours_c4)),
        ("reference encrypt", ref_c4, lambda: reference_run(cli, ws, "encrypt", ws.plain, ref_c4)),
        ("ours decrypt", ours_out, lambda: ours_decrypt(ws, ours_c4, ours_out)),
        ("reference decrypt", ref_out, lambda: reference_run(cli, ws, "decrypt", ref_c4, ref_out)),
    ]
    for _ in range(repeats):
        for name, output, job in jobs:
            output.unlink(missing_ok=True)
            runs.setdefault(name, []).append(timed(job))
    return runs


def verify(cli: str, ws: Workspace) -> None:
    """Outputs equal the plaintext, and each side reads the other's file."""
    checks = {
        "ours.out": None,
        "ref.out": None,
        "cross-ours.out": lambda out: ours_decrypt(ws, ws.path("ref.c4gh"), out),
        "cross-ref.out": lambda out: reference_run(cli, ws, "decrypt", ws.path("ours.c4gh"), out),
    }
    for name, make in checks.items():
        if make is not None:
            make(ws.path(name))
        if not same_content(ws.plain, ws.path(name)):
            raise SystemExit(f"verification failed: {name} differs from the plaintext")
        ws.path(name).unlink()


def sink_runs(cli: str, ws: Workspace, repeats: int) -> dict[str, list[float]]:
    """Seconds per decrypt run, ours and the reference, to a file in the workdir, a file in
    tmpfs and /dev/null; the order of the six jobs rotates each round."""
    runs: dict[str, list[float]] = {}
    shm = Path(tempfile.mkdtemp(dir="/dev/shm", prefix="c4gh-sink-"))
    try:
        sinks = (("file", ws.path("sink.out")), ("tmpfs", shm / "sink.out"),
                 ("null", Path(os.devnull)))  # fmt: skip
        jobs: list[tuple[str, Path, Callable[[], None]]] = []
        for where, target in sinks:
            jobs.append(
                (f"ours {where}", target,
                 lambda t=target: ours_decrypt(ws, ws.path("ours.c4gh"), t))  # type: ignore[misc]
            )  # fmt: skip
            jobs.append(
                (f"reference {where}", target,
                 lambda t=target: reference_run(cli, ws, "decrypt", ws.path("ours.c4gh"), t))  # type: ignore[misc]
            )  # fmt: skip
        for round_ in range(repeats):
            for name, target, job in jobs[round_ % len(jobs) :] + jobs[: round_ % len(jobs)]:
                if target != Path(os.devnull):
                    target.unlink(missing_ok=True)
                os.sync()
                runs.setdefault(name, []).append(timed(job))
    finally:
        shutil.rmtree(shm, ignore_errors=True)
        ws.path("sink.out").unlink(missing_ok=True)
    return runs


def bare_ciphers(size: int) -> tuple[float, float | None]:
    """MB/s of ChaCha20-Poly1305 decryption of 64 KiB segments in memory: ``cryptography``
    (what we use) and the reference's libsodium extension (None when it is not importable)."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    key, nonce = os.urandom(32), os.urandom(12)
    aead = ChaCha20Poly1305(key)
    sealed = aead.encrypt(nonce, os.urandom(c4.SEGMENT_SIZE), None)
    out = bytearray(c4.SEGMENT_SIZE)
    count = max(1, size // c4.SEGMENT_SIZE)
    ours = timed(lambda: [aead.decrypt_into(nonce, sealed, None, out) for _ in range(count)])
    try:
        from crypt4gh import sodium
    except ImportError:
        return count * c4.SEGMENT_SIZE / 1e6 / ours, None
    framed = nonce + sealed
    theirs = timed(
        lambda: [sodium.chacha20poly1305_decrypt(out, framed, key) for _ in range(count)]
    )
    mb = count * c4.SEGMENT_SIZE / 1e6
    return mb / ours, mb / theirs


def report_sinks(ws: Workspace, runs: dict[str, list[float]]) -> None:
    mb = ws.size / 1e6
    print("\n| decrypt output | ours MB/s | reference MB/s | ratio per round | median ratio |")
    print("|---|---:|---:|---|---:|")
    for where in ("file", "tmpfs", "null"):
        ours, ref = runs[f"ours {where}"], runs[f"reference {where}"]
        ratios = [r / o for o, r in zip(ours, ref, strict=True)]
        print(
            f"| {where} | {mb / statistics.median(ours):.0f} | {mb / statistics.median(ref):.0f} "
            f"| {', '.join(f'{x:.2f}' for x in ratios)} | {statistics.median(ratios):.2f}x |"
        )
    ours_bare, ref_bare = bare_ciphers(ws.size)
    theirs = "not importable" if ref_bare is None else f"{ref_bare:.0f} MB/s"
    print(
        f"\nBare ChaCha20-Poly1305, 64 KiB segments in memory: cryptography {ours_bare:.0f} MB/s, "
        f"the reference's libsodium extension {theirs}."
    )


def reencrypt_times(ws: Workspace, encrypted: Path, runs: int) -> tuple[float, float, float]:
    """Median seconds: reencrypt_header alone, with split_file, and cached reencryptor."""
    reader = c4.load_private_key(ws.reader_sk, PASSPHRASE)
    grantee = c4.public_key_bytes(c4.generate_private_key())
    header, _ = c4.split_file(encrypted)
    alone = [timed(lambda: c4.reencrypt_header(header, reader, [grantee])) for _ in range(runs)]
    with_io = [
        timed(lambda: c4.reencrypt_header(c4.split_file(encrypted)[0], reader, [grantee]))
        for _ in range(runs)
    ]
    cached = c4.HeaderReencryptor(reader)
    warm = [timed(lambda: cached.reencrypt(header, [grantee])) for _ in range(runs)]
    return statistics.median(alone), statistics.median(with_io), statistics.median(warm)


def report(args: argparse.Namespace, ws: Workspace, runs: dict[str, list[float]], cli: str) -> None:
    mb = ws.size / 1e6
    speed = {name: mb / statistics.median(times) for name, times in runs.items()}
    print(f"\n### Crypt4GH throughput, {args.size_mib} MiB file, median of {args.repeats}\n")
    print("| operation | ours MB/s | reference CLI MB/s | ratio | ours runs (s) | ref runs (s) |")
    print("|---|---:|---:|---:|---|---|")
    for op in ("encrypt", "decrypt"):
        ours, ref = runs[f"ours {op}"], runs[f"reference {op}"]
        print(
            f"| {op} | {speed[f'ours {op}']:.0f} | {speed[f'reference {op}']:.0f} "
            f"| {speed[f'ours {op}'] / speed[f'reference {op}']:.2f}x "
            f"| {', '.join(f'{t:.2f}' for t in ours)} | {', '.join(f'{t:.2f}' for t in ref)} |"
        )
    print("\n| header re-encryption (1 recipient) | file | median ms |")
    print("|---|---|---:|")
    for label, path in (
        ("1 MiB", ws.path("small.c4gh")),
        (f"{args.size_mib} MiB", ws.path("ours.c4gh")),
    ):
        alone, with_io, warm = reencrypt_times(ws, path, args.reencrypt_runs)
        print(f"| reencrypt_header(header bytes) | {label} | {alone * 1e3:.3f} |")
        print(f"| split_file + reencrypt_header | {label} | {with_io * 1e3:.3f} |")
        print(f"| HeaderReencryptor, known grantee | {label} | {warm * 1e3:.3f} |")
    print("\nCommand line:\n")
    print(f"    {shlex.join([sys.executable, *sys.argv])}")
    print("\nReference commands (C4GH_PASSPHRASE set, stdin/stdout redirected to files):\n")
    for action in ("encrypt", "decrypt"):
        print(f"    {shlex.join(reference_command(cli, ws, action))}")
    print(f"\nPython {sys.version.split()[0]}, {os.cpu_count()} CPUs, workdir {ws.root}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="benchmark file size")
    parser.add_argument("--repeats", type=int, default=3, help="runs per operation")
    parser.add_argument("--reencrypt-runs", type=int, default=200)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    venv_cli = Path(sys.executable).parent / "crypt4gh"
    default_cli = str(venv_cli) if venv_cli.exists() else shutil.which("crypt4gh") or "crypt4gh"
    parser.add_argument("--reference-cli", default=default_cli)
    parser.add_argument("--no-verify", action="store_true", help="skip output checks")
    parser.add_argument(
        "--sinks", action="store_true", help="then decrypt to a file, tmpfs and /dev/null"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="c4gh-bench-") as tmp:
        ws = Workspace(Path(tmp), args.size_mib * MIB)
        make_random_file(ws.path("small.plain"), MIB)
        ours_encrypt(ws, ws.path("small.plain"), ws.path("small.c4gh"))
        runs = throughput(args.reference_cli, ws, args.repeats)
        if not args.no_verify:
            verify(args.reference_cli, ws)
        report(args, ws, runs, args.reference_cli)
        if args.sinks:
            report_sinks(ws, sink_runs(args.reference_cli, ws, args.repeats))


if __name__ == "__main__":
    main()

"""The pull's HTTP transport against a real HTTP/1.1 server on loopback (no mocks): bodies in
pieces of exactly the read size asked for (the last one shorter), keep-alive across requests,
httpx's errors for urllib3's and for bodies cut short or stalled, and a connection never reused
with part of an answer still on it."""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clearance.client.urllib3_transport import READ_SIZE, Urllib3Transport

BIG = bytes(range(256)) * 4096 + b"tail"  # 1 MiB + 4 bytes: not a multiple of READ_SIZE


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, *headers: tuple[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _broken(self, framing: tuple[str, str], sent: bytes) -> None:
        """An answer whose body is ``sent`` and then the end of the connection."""
        self.send_response(200)
        self.send_header(*framing)
        self.end_headers()
        self.wfile.write(sent)
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:
        self.server.peers.append(self.client_address)
        if self.path == "/big":
            self._send(200, BIG)
        elif self.path == "/gzip":
            self._send(200, gzip.compress(b"squeezed"), ("Content-Encoding", "gzip"))
        elif self.path == "/cookies":
            self._send(204, b"", ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"))
        elif self.path == "/cut":  # promises 1000 bytes, sends 10, hangs up
            self._broken(("Content-Length", "1000"), b"0123456789")
        elif self.path == "/chunked-cut":  # one chunk of a chunked body, then hangs up
            self._broken(("Transfer-Encoding", "chunked"), b"a\r\n0123456789\r\n")
        elif self.path == "/chunked-garbage":  # a chunk-size line that is not hexadecimal
            self._broken(("Transfer-Encoding", "chunked"), b"zz\r\n0123456789\r\n0\r\n\r\n")
        elif self.path == "/stall":  # headers and a first piece, then nothing for a second
            self.send_response(200)
            self.send_header("Content-Length", "20")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            time.sleep(1.0)
            self.wfile.write(b"0123456789")
        elif self.path == "/slow":
            time.sleep(1.0)
            self._send(200, b"late")
        else:
            self._send(404, b"no")

    def do_POST(self) -> None:
        self.server.peers.append(self.client_address)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        echo = f"{self.headers['X-Probe']}|{self.headers['Content-Type']}|".encode() + body
        self._send(201, echo)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.peers: list[tuple[str, int]] = []

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the read-timeout test) is not a failure here


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server()
    thread = threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture
def client(server: _Server) -> Iterator[httpx.Client]:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with httpx.Client(base_url=base, transport=Urllib3Transport(max_connections=2)) as made:
        yield made


def test_a_body_streams_whole_in_pieces_of_at_most_read_size(client: httpx.Client) -> None:
    with client.stream("GET", "/big") as response:
        pieces = list(response.iter_raw())
    assert response.status_code == 200
    assert b"".join(pieces) == BIG
    assert max(len(p) for p in pieces) == READ_SIZE
    assert len(pieces) == -(-len(BIG) // READ_SIZE)


@pytest.mark.parametrize("read_size", [1000, 65_564])
def test_pieces_are_exactly_the_read_size_asked_for(server: _Server, read_size: int) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    transport = Urllib3Transport(max_connections=1, read_size=read_size)
    with (
        httpx.Client(base_url=base, transport=transport) as client,
        client.stream("GET", "/big") as response,
    ):
        pieces = list(response.iter_raw())
    assert b"".join(pieces) == BIG
    assert {len(p) for p in pieces[:-1]} == {read_size}
    assert 0 < len(pieces[-1]) <= read_size


def test_one_connection_serves_request_after_request(client: httpx.Client, server: _Server) -> None:
    for _ in range(3):
        assert client.get("/big").content == BIG
    assert len(server.peers) == 3 and len(set(server.peers)) == 1  # one TCP connection


def test_a_request_body_headers_and_repeated_answer_headers_pass_through(
    client: httpx.Client,
) -> None:
    answer = client.post("/echo", json={"objects": ["a"]}, headers={"X-Probe": "p"})
    assert answer.status_code == 201
    assert answer.content == b'p|application/json|{"objects":["a"]}'
    cookies = client.get("/cookies")
    assert cookies.status_code == 204 and cookies.headers.get_list("set-cookie") == ["a=1", "b=2"]


def test_a_compressed_answer_is_decoded_by_httpx(client: httpx.Client) -> None:
    assert client.get("/gzip").text == "squeezed"


def test_a_body_cut_short_is_an_httpx_transport_error_and_the_next_request_works(
    client: httpx.Client,
) -> None:
    with client.stream("GET", "/cut") as response, pytest.raises(httpx.RemoteProtocolError):
        for _ in response.iter_raw():
            pass
    assert client.get("/big").content == BIG


def test_a_chunked_body_cut_short_is_an_httpx_transport_error(client: httpx.Client) -> None:
    with client.stream("GET", "/chunked-cut") as response, pytest.raises(httpx.RemoteProtocolError):
        for _ in response.iter_raw():
            pass
    assert client.get("/big").content == BIG


def test_a_malformed_chunked_body_is_an_httpx_transport_error(client: httpx.Client) -> None:
    with (
        client.stream("GET", "/chunked-garbage") as response,
        pytest.raises(httpx.RemoteProtocolError, match="IncompleteRead"),
    ):
        for _ in response.iter_raw():
            pass
    assert client.get("/big").content == BIG


def test_a_body_that_stalls_is_a_read_timeout(client: httpx.Client) -> None:
    with (
        client.stream("GET", "/stall", timeout=httpx.Timeout(0.2)) as response,
        pytest.raises(httpx.ReadTimeout),
    ):
        for _ in response.iter_raw():
            pass


def test_a_body_left_half_read_closes_its_connection(client: httpx.Client, server: _Server) -> None:
    with client.stream("GET", "/big") as response:
        first = next(response.iter_raw())
    assert first == BIG[:READ_SIZE]
    assert client.get("/big").content == BIG  # not the rest of the first answer
    assert len(set(server.peers)) == 2  # a new connection for the second request


def test_no_server_is_a_connect_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = Urllib3Transport(max_connections=1)
    with httpx.Client(transport=transport) as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{port}/")


def test_a_slow_answer_is_a_read_timeout(client: httpx.Client) -> None:
    with pytest.raises(httpx.ReadTimeout):
        client.get("/slow", timeout=httpx.Timeout(0.2))


def test_at_least_one_connection() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Urllib3Transport(max_connections=0)
    with pytest.raises(ValueError, match="at least 1"):
        Urllib3Transport(max_connections=1, read_size=0)


# --- TLS: the certificate is checked, as httpx's own transport does ------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "clearance test node")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "node.pem", folder / "node.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert_file, key_file = _self_signed(tmp_path)
    running = _Server()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    running.socket = context.wrap_socket(running.socket, server_side=True)
    thread = threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{running.server_address[1]}", cert_file
    running.shutdown()
    running.server_close()


def test_a_certificate_nobody_trusts_is_refused(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    transport = Urllib3Transport(max_connections=1)
    with httpx.Client(transport=transport) as client, pytest.raises(httpx.ConnectError):
        client.get(f"{url}/big")


def test_a_certificate_trusted_through_ssl_cert_file_is_accepted(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert_file = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # read when the transport is made
    transport = Urllib3Transport(max_connections=1)
    with httpx.Client(transport=transport) as client:
        assert client.get(f"{url}/big").content == BIG

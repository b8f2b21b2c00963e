"""``untrusted.Deadline``: one total time limit on an HTTP exchange, over plain TCP and over TLS (where the
TCP socket is wrapped and detached, so the TLS socket must be the one shut down), for a server that sends
its headers or its body one byte at a time — which per-read timeouts never stop."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from pathlib import Path

import httpx2
import pytest

from modelcensus.untrusted import Deadline

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nX-Slow: " + b"a" * 300 + b"\r\n\r\n"


def _cert(tmp: Path) -> tuple[str, str]:
    crypto = pytest.importorskip("cryptography", reason="cryptography makes the test's self-signed certificate")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "c.pem", tmp / "k.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def _serve(body_only: bool, tls: ssl.SSLContext | None) -> tuple[socket.socket, int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)

    def one(c: socket.socket) -> None:
        try:
            s = tls.wrap_socket(c, server_side=True) if tls else c
            s.recv(65536)
            data = HEAD + b"x" * 5000
            if body_only:
                s.sendall(HEAD)
                data = data[len(HEAD):]
            stop = time.monotonic() + 15  # give up, so a client without a deadline fails instead of hanging
            for i in range(len(data)):
                if time.monotonic() > stop:
                    break
                s.send(data[i:i + 1])
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            c.close()

    def loop() -> None:
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=one, args=(c,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return srv, srv.getsockname()[1]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("body_only", [False, True], ids=["headers", "body"])
def test_a_trickling_server_is_cut_at_the_deadline(tmp_path: Path, tls: bool, body_only: bool) -> None:
    ctx = None
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*_cert(tmp_path))
    srv, port = _serve(body_only, ctx)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/"
    t0 = time.monotonic()
    deadline = Deadline(1.0)
    with httpx2.Client(verify=False) as client, pytest.raises(httpx2.HTTPError), deadline, \
            client.stream("GET", url, timeout=2.0, extensions=deadline.extensions,
                          headers={"Connection": "close"}) as r:
        r.read()
    took = time.monotonic() - t0
    srv.close()
    assert deadline.expired and took < 2.5, took  # each byte came within the 2 s read timeout


def test_a_fast_answer_is_untouched(tmp_path: Path) -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def answer() -> None:
        c, _ = srv.accept()
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        c.close()

    threading.Thread(target=answer, daemon=True).start()
    deadline = Deadline(1.0)
    with httpx2.Client() as client, deadline, client.stream(
            "GET", f"http://127.0.0.1:{srv.getsockname()[1]}/", extensions=deadline.extensions) as r:
        assert r.read() == b"ok"
    time.sleep(1.2)  # the timer was cancelled with the block: nothing fires afterwards
    assert not deadline.expired
    srv.close()

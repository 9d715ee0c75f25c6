"""One webhook attempt (shared.webhooks.sender.send) against real loopback receivers: a 2xx, a 3xx not
followed, a timeout (also of a receiver that drips its answer), ``Retry-After``, a big answer kept to
its first KiB, a refused target never contacted, the very checked address connected to with the URL's
host in ``Host`` and in TLS (SNI and the certificate), proxy variables ignored. Names other than
``localhost`` come from a stand-in resolver (the machine has no public DNS)."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.webhooks.sender import RESPONSE_BODY_BYTES, send
from tests.integration.local_http import local_server, reply

HEADERS = {"content-type": "application/json", "webhook-id": "chg_1", "user-agent": "NovaVMS-Webhooks/test"}
BODY = b'{"type":"event.created"}'


@dataclass
class Receiver:
    """A loopback receiver: what arrived, and a way to hold slow answers until the test ends."""

    port: int
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _handle(receiver: Receiver) -> Callable[[BaseHTTPRequestHandler], None]:
    def handle(handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        receiver.requests.append((handler.path, dict(handler.headers.items()), body))
        path = handler.path.split("?")[0]
        if path == "/ok":
            reply(handler, 200, {"Content-Type": "text/plain"}, b"thanks")
        elif path == "/redirect":
            reply(handler, 302, {"Location": "/ok"}, b"")
        elif path == "/busy":
            reply(handler, 503, {"Retry-After": "30"}, b"busy")
        elif path == "/slow-down":
            when = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
            reply(handler, 429, {"Retry-After": when.strftime("%a, %d %b %Y %H:%M:%S GMT")}, b"")
        elif path == "/gone":
            reply(handler, 410, {}, b"gone")
        elif path == "/big":
            reply(handler, 200, {}, "é".encode() * 50_000)
        elif path == "/slow":
            receiver.release.wait(30)
        elif path == "/drip":  # each byte in time for a per-read timeout, the whole never in time
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
                if receiver.release.wait(0.2):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
        else:
            reply(handler, 404, {}, b"")

    return handle


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: list[Receiver] = []
    server = local_server(lambda handler: _handle(holder[0])(handler))
    holder.append(Receiver(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder[0]
    holder[0].release.set()
    server.shutdown()
    server.server_close()


def _resolver(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """Answer each name in ``answers`` with its next list of addresses (the last one repeats); the
    real resolver for the rest. Returns the names looked up, in order."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        queue = answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_2xx_is_a_success_with_the_body_and_headers_sent_as_given(receiver: Receiver) -> None:
    attempt = send(f"http://127.0.0.1:{receiver.port}/ok?tenant=a", HEADERS, BODY, 5, allow_loopback=True)
    assert (attempt.status_code, attempt.error, attempt.response_body) == (200, None, "thanks")
    assert attempt.ok
    assert attempt.retry_after_s is None and attempt.duration_ms >= 0
    [(path, headers, body)] = receiver.requests
    assert (path, body) == ("/ok?tenant=a", BODY)
    assert headers["webhook-id"] == "chg_1" and headers["user-agent"] == "NovaVMS-Webhooks/test"
    assert headers["Host"] == f"127.0.0.1:{receiver.port}"


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(receiver: Receiver) -> None:
    attempt = send(f"http://127.0.0.1:{receiver.port}/redirect", HEADERS, BODY, 5, allow_loopback=True)
    assert attempt.status_code == 302 and not attempt.ok
    assert attempt.error is not None and "redirect" in attempt.error
    assert [path for path, _, _ in receiver.requests] == ["/redirect"]


def test_an_error_status_is_a_failed_attempt_with_its_body(receiver: Receiver) -> None:
    attempt = send(f"http://localhost:{receiver.port}/gone", HEADERS, BODY, 5, allow_loopback=True)
    assert (attempt.status_code, attempt.error, attempt.response_body) == (410, "HTTP 410", "gone")


def test_retry_after_in_seconds_or_as_a_date_capped_at_a_day(receiver: Receiver) -> None:
    busy = send(f"http://127.0.0.1:{receiver.port}/busy", HEADERS, BODY, 5, allow_loopback=True)
    assert (busy.status_code, busy.retry_after_s) == (503, 30.0)
    slow_down = send(f"http://127.0.0.1:{receiver.port}/slow-down", HEADERS, BODY, 5, allow_loopback=True)
    assert (slow_down.status_code, slow_down.retry_after_s) == (429, 24 * 3600.0)


def test_a_big_answer_is_kept_to_its_first_kib_decoded_leniently(receiver: Receiver) -> None:
    attempt = send(f"http://127.0.0.1:{receiver.port}/big", HEADERS, BODY, 5, allow_loopback=True)
    assert attempt.ok
    assert attempt.response_body == "é" * (RESPONSE_BODY_BYTES // 2)


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(receiver: Receiver) -> None:
    attempt = send(f"http://127.0.0.1:{receiver.port}/slow", HEADERS, BODY, 0.5, allow_loopback=True)
    assert (attempt.status_code, attempt.error) == (None, "timed out after 0.5 s")


def test_the_timeout_bounds_the_whole_attempt_not_each_read(receiver: Receiver) -> None:
    attempt = send(f"http://127.0.0.1:{receiver.port}/drip", HEADERS, BODY, 1, allow_loopback=True)
    assert (attempt.status_code, attempt.error) == (None, "timed out after 1 s")


def test_nothing_listening_is_a_failed_attempt() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attempt = send(f"http://127.0.0.1:{port}/ok", HEADERS, BODY, 5, allow_loopback=True)
    assert attempt.status_code is None and attempt.error is not None
    assert attempt.error.startswith("could not connect to 127.0.0.1")


def test_a_refused_target_is_a_failed_attempt_and_never_contacted(receiver: Receiver) -> None:
    for url in (
        f"http://localhost:{receiver.port}/ok",
        f"https://localhost:{receiver.port}/ok",
        f"https://127.0.0.1:{receiver.port}/ok",
    ):
        attempt = send(url, HEADERS, BODY, 5, allow_loopback=False)
        assert attempt.status_code is None and attempt.error is not None
        assert attempt.error.startswith("refused: url")
    assert "localhost resolves to 127.0.0.1, a loopback address" in (
        send(f"https://localhost:{receiver.port}/ok", HEADERS, BODY, 5, allow_loopback=False).error or ""
    )
    assert receiver.requests == []


def test_the_checked_address_is_the_one_connected_to_with_the_name_in_host(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The name answers loopback once, then a private address (DNS rebinding): the attempt uses the
    # address it checked and looks the name up once.
    asked = _resolver(monkeypatch, {"hooks.example.test": [["127.0.0.1"], ["10.0.0.1"]]})
    attempt = send(f"http://hooks.example.test:{receiver.port}/ok", HEADERS, BODY, 5, allow_loopback=True)
    assert attempt.ok
    assert asked == ["hooks.example.test"]
    [(_, headers, _)] = receiver.requests
    assert headers["Host"] == f"hooks.example.test:{receiver.port}"
    # The next attempt checks again, and refuses what the name now answers.
    refused = send(f"http://hooks.example.test:{receiver.port}/ok", HEADERS, BODY, 5, allow_loopback=True)
    assert refused.error is not None and "10.0.0.1, a private address" in refused.error
    assert len(receiver.requests) == 1


def test_proxy_variables_are_ignored(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    proxied: list[str] = []

    def act_as_proxy(handler: BaseHTTPRequestHandler) -> None:
        proxied.append(handler.path)
        reply(handler, 200, {}, b"proxy")

    proxy = local_server(act_as_proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.server_address[1]}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        attempt = send(f"http://127.0.0.1:{receiver.port}/ok", HEADERS, BODY, 5, allow_loopback=True)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert (attempt.status_code, attempt.response_body) == (200, "thanks")
    assert proxied == [] and len(receiver.requests) == 1


# --- TLS: a certificate for the name, the connection to the checked address -----------------------


def _certificate(tmp: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA (its file), and a server certificate for ``name`` it signed (cert and key files)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test webhook CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = tmp / "ca.pem", tmp / "cert.pem", tmp / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture
def tls_receiver(receiver: Receiver, tmp_path: Path) -> Iterator[tuple[int, list[str | None], Path]]:
    """An HTTPS receiver on 127.0.0.1 with a certificate for ``hooks.example.test``: its port, the SNI
    names it was asked for, and the CA file that trusts it."""
    ca, cert, key = _certificate(tmp_path, "hooks.example.test")
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def note_sni(_sock: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        names.append(name)

    context.sni_callback = note_sni
    server: ThreadingHTTPServer = local_server(lambda handler: _handle(receiver)(handler))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], names, ca
    server.shutdown()
    server.server_close()


def test_https_sends_sni_and_checks_the_certificate_for_the_name_not_the_address(
    tls_receiver: tuple[int, list[str | None], Path], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, names, ca = tls_receiver
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    _resolver(monkeypatch, {"hooks.example.test": [["127.0.0.1"]], "other.example.test": [["127.0.0.1"]]})
    attempt = send(f"https://hooks.example.test:{port}/ok", HEADERS, BODY, 5, allow_loopback=True)
    assert (attempt.status_code, attempt.error) == (200, None)
    assert names == ["hooks.example.test"]
    assert receiver.requests[0][1]["Host"] == f"hooks.example.test:{port}"
    wrong_name = send(f"https://other.example.test:{port}/ok", HEADERS, BODY, 5, allow_loopback=True)
    assert wrong_name.status_code is None and (wrong_name.error or "").startswith("TLS failed")
    assert len(receiver.requests) == 1


def test_https_refuses_a_certificate_no_trusted_authority_signed(
    tls_receiver: tuple[int, list[str | None], Path], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, _, _ = tls_receiver
    _resolver(monkeypatch, {"hooks.example.test": [["127.0.0.1"]]})
    attempt = send(f"https://hooks.example.test:{port}/ok", HEADERS, BODY, 5, allow_loopback=True)
    assert attempt.status_code is None and "certificate verify failed" in (attempt.error or "")
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://10.1.2.3/hook", "a private address"),
        ("https://172.20.0.1/hook", "a private address"),
        ("https://192.168.0.1/hook", "a private address"),
        ("https://[fd00::1]/hook", "a private address"),
        ("https://100.100.100.100/hook", "a carrier-grade NAT address"),
        ("https://198.18.5.5/hook", "a benchmarking address"),
        ("https://169.254.169.254/computeMetadata/v1/", "a link-local address"),
        ("https://[fe80::1]/hook", "a link-local address"),
        ("https://0.0.0.0/hook", "a 'this network' address"),
        ("https://224.0.0.251/hook", "a multicast address"),
        ("https://[ff05::2]/hook", "a multicast address"),
        ("https://[::]/hook", "the unspecified address"),
        ("https://240.1.1.1/hook", "a reserved address"),
        ("https://[::ffff:169.254.169.254]/hook", "the IPv4-mapped form of a link-local address"),
        ("https://[2002:a9fe:a9fe::1]/hook", "the 6to4 form of a link-local address"),
        ("https://[64:ff9b::c0a8:1]/hook", "the NAT64 form of a private address"),
        ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "the Teredo form of a special-purpose"),
        ("https://192.0.2.10/hook", "a special-purpose address"),
        ("https://metadata.google.internal./computeMetadata/v1/", "metadata server"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
        ("https://user:secret@127.0.0.1/hook", "credentials"),
        ("ftp://127.0.0.1/hook", "must be an https URL"),
        ("https://[::1/hook", "not a valid URL"),
        ("https://1.1.1.1:0/hook", "invalid port 0"),
        ("https://exämple.com/hook", "must be ASCII"),
        ("https://1.1.1.1/a hook", "spaces or control characters"),
        ("https://exa%6dple.com/hook", "invalid host name"),
        ("https:///hook", "must name a host"),
        ("https://1.1.1.1/" + "a" * 2048, "at most 2048 characters"),
        ("", "must be an https URL"),
    ],
)
def test_every_refused_kind_of_target_is_a_failed_attempt_never_sent(url: str, reason: str) -> None:
    attempt = send(url, HEADERS, BODY, 5, allow_loopback=True)
    assert attempt.status_code is None and attempt.response_body == "" and attempt.retry_after_s is None
    assert (attempt.error or "").startswith("refused: url") and reason in (attempt.error or ""), attempt.error

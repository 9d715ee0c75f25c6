"""One webhook attempt, sent only where it is safe to send (no SSRF).

A target URL is accepted when it is ``https``, ASCII, with no credentials in it, and every address its
host resolves to is public. Refused: loopback (127.0.0.0/8, ``::1``), private (10/8, 172.16/12,
192.168/16, fc00::/7), carrier-grade NAT (100.64/10), benchmarking (198.18/15), link-local
(169.254/16, fe80::/10), 0.0.0.0/8, multicast, unspecified, reserved and every other special-purpose
address; an IPv6 address that carries an IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, NAT64,
Teredo) when the IPv4 one is refused; the metadata server's name ``metadata.google.internal``; a host
that does not resolve. If any one address of the host is refused, the URL is. ``allow_loopback`` (the
local stack) also lets in ``http`` and ``https`` targets whose addresses are all loopback, and
nothing else of the refused set (``http`` stays refused for any other target).

:func:`send` checks the URL again at each attempt, then connects to an address it just checked (no
second lookup a rebinding name could answer differently), with the URL's host name in ``Host``, in
TLS's SNI and in the certificate check. Proxy variables are ignored, redirects are never followed (a
3xx is a failed attempt) and the whole attempt, connection included, has one deadline.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

import urllib3.exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection

from shared.model.errors import InvalidValue

MAX_URL_LENGTH = 2048
RESPONSE_BODY_BYTES = 1024
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
METADATA_HOSTS = frozenset({"metadata.google.internal"})
DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = IPv4Address | IPv6Address
_REFUSED_NETWORKS: tuple[tuple[IPv4Network | IPv6Network, str], ...] = tuple(
    (ip_network(network), kind)
    for network, kind in (
        ("0.0.0.0/8", "a 'this network' address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a carrier-grade NAT address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address"),
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address"),
        ("fc00::/7", "a private address"),
        ("fe80::/10", "a link-local address"),
        ("ff00::/8", "a multicast address"),
    )
)
_LOOPBACK = (ip_network("127.0.0.0/8"), ip_network("::1/128"))
_NAT64 = ip_network("64:ff9b::/96")
_HOST_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$")
_DIGITS = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class Attempt:
    """What one attempt got: the status (None when no answer came), why it failed (None on a 2xx),
    how long it took, the start of the answer's body, and a ``Retry-After`` in seconds (≤ 24 h)."""

    status_code: int | None
    error: str | None
    duration_ms: int
    response_body: str
    retry_after_s: float | None

    @property
    def ok(self) -> bool:
        """The receiver took the message: a 2xx."""
        return self.error is None


class _Refused(Exception):
    """The URL is no place to send a webhook; the message says why, for the caller."""


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    request_target: str
    addresses: tuple[IPAddress, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def address_refusal(address: IPAddress, allow_loopback: bool = False) -> str | None:
    """Why no webhook may go to ``address`` ("a private address"), or None when it may."""
    if allow_loopback and any(address in network for network in _LOOPBACK):
        return None
    return _kind(address)


def _kind(address: IPAddress) -> str | None:
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            mapped = _kind(address.ipv4_mapped)
            return f"the IPv4-mapped form of {mapped}" if mapped else None
        for form, embedded in _embedded_ipv4(address):
            kind = _kind(embedded)
            if kind:
                return f"the {form} form of {kind}"
    for network, kind in _REFUSED_NETWORKS:
        if address.version == network.version and address in network:
            return kind
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved or address.is_unspecified:
        return "a reserved address"
    if not address.is_global:
        return "a special-purpose address, not a public one"
    return None


def _embedded_ipv4(address: IPv6Address) -> list[tuple[str, IPv4Address]]:
    """The IPv4 addresses an IPv6 one carries for a transition mechanism (6to4, NAT64, Teredo)."""
    found: list[tuple[str, IPv4Address]] = []
    if address.sixtofour is not None:
        found.append(("6to4", address.sixtofour))
    if address in _NAT64:
        found.append(("NAT64", IPv4Address(int(address) & 0xFFFFFFFF)))
    if address.teredo is not None:
        found.extend(("Teredo", part) for part in address.teredo)
    return found


def _parse(url: str, allow_loopback: bool) -> tuple[str, str, int, str]:
    """The URL's scheme, ASCII host (no brackets), port and request target; _Refused when malformed."""
    if not isinstance(url, str) or not url:
        raise _Refused("must be an https URL")
    if len(url) > MAX_URL_LENGTH:
        raise _Refused(f"must be at most {MAX_URL_LENGTH} characters")
    if not url.isascii():
        raise _Refused("must be ASCII: percent-encode other characters, write an international name as xn--")
    if any(char <= " " or char == "\x7f" for char in url):
        raise _Refused("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _Refused(f"is not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or (scheme == "http" and not allow_loopback):
        raise _Refused("must be an https URL")
    if "@" in parts.netloc:
        raise _Refused("must not contain credentials (user:password@)")
    host = (parts.hostname or "").lower()
    if not host:
        raise _Refused("must name a host")
    if ":" in host:
        try:
            host = str(IPv6Address(host))
        except ValueError as exc:
            raise _Refused(f"has an invalid IPv6 address ({exc})") from exc
    elif not _HOST_NAME.match(host):
        raise _Refused(f"has an invalid host name {host!r}")
    if host.rstrip(".") in METADATA_HOSTS:
        raise _Refused(f"must not target the metadata server ({host})")
    if port == 0:
        raise _Refused("has an invalid port 0")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or DEFAULT_PORTS[scheme], target


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address ``host`` resolves to for TCP, in the resolver's order, each once."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise _Refused(f"host {host} does not resolve") from exc
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise _Refused(f"host {host} does not resolve")
    return tuple(found)


def _target(url: str, allow_loopback: bool) -> _Target:
    scheme, host, port, request_target = _parse(url, allow_loopback)
    addresses = _resolve(host, port)
    for address in addresses:
        kind = address_refusal(address, allow_loopback)
        if kind:
            where = f"{host} is" if host == str(address) else f"{host} resolves to {address},"
            raise _Refused(f"{where} {kind}: webhooks go to public addresses only")
    if scheme == "http" and any(address_refusal(address) is None for address in addresses):
        raise _Refused("must be an https URL (http is for loopback targets on a local stack only)")
    return _Target(scheme, host, port, request_target, addresses)


def check_url(url: str, allow_loopback: bool) -> None:
    """Accept ``url`` as a webhook target now (its host resolved and every address checked), or
    raise :class:`InvalidValue` naming ``url`` with the reason."""
    try:
        _target(url, allow_loopback)
    except _Refused as refused:
        raise InvalidValue("url", str(refused)) from None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` value (delay seconds or an HTTP date) as seconds from ``now``, at most 24 h;
    None when absent or unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    if _DIGITS.match(text):
        return min(float(text), MAX_RETRY_AFTER_SECONDS)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _connection(target: _Target, address: IPAddress, timeout_s: float) -> HTTPConnection:
    """A connection to ``address`` itself, TLS checked for the URL's host name; no proxy."""
    if target.scheme == "https":
        return HTTPSConnection(str(address), target.port, timeout=timeout_s, server_hostname=target.host)
    return HTTPConnection(str(address), target.port, timeout=timeout_s)


def _cut(connection: HTTPConnection, fired: threading.Event) -> None:
    """At the deadline: shut the connection's socket down, which ends any read or write in flight."""
    fired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _failure(exc: BaseException, timed_out: bool, timeout_s: float, address: IPAddress) -> str:
    """What went wrong, in one line, for the delivery's record."""
    if isinstance(exc, urllib3.exceptions.NewConnectionError) and not timed_out:
        return f"could not connect to {address}: {exc.__cause__ or exc}"  # a subclass of the timeout
    if timed_out or isinstance(exc, TimeoutError | urllib3.exceptions.TimeoutError):
        return f"timed out after {timeout_s:g} s"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc}"
    return f"connection failed: {type(exc).__name__}: {exc}"


def send(
    url: str, headers: Mapping[str, str], body: bytes, timeout_s: float, allow_loopback: bool
) -> Attempt:
    """POST ``body`` with ``headers`` to ``url`` once, within ``timeout_s`` overall. Never raises for
    what the target does: a refused URL, no connection, a timeout or a non-2xx answer (a 3xx
    included, never followed) is an Attempt with ``error`` set."""
    started = time.monotonic()
    try:
        target = _target(url, allow_loopback)
    except _Refused as refused:
        return Attempt(None, f"refused: url {refused}", _elapsed_ms(started), "", None)
    deadline = started + timeout_s
    error = f"timed out after {timeout_s:g} s"
    for address in target.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        connection = _connection(target, address, remaining)
        fired = threading.Event()
        watchdog = threading.Timer(remaining, _cut, (connection, fired))
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                connection.connect()
            except (OSError, urllib3.exceptions.HTTPError) as exc:
                error = _failure(exc, fired.is_set(), timeout_s, address)
                continue  # the next address of the host, if time is left
            return _exchange(connection, target, headers, body, fired, timeout_s, address, started)
        finally:
            watchdog.cancel()
            connection.close()
    return Attempt(None, error, _elapsed_ms(started), "", None)


def _exchange(
    connection: HTTPConnection,
    target: _Target,
    headers: Mapping[str, str],
    body: bytes,
    fired: threading.Event,
    timeout_s: float,
    address: IPAddress,
    started: float,
) -> Attempt:
    """The request on a connected ``connection`` and the start of its answer."""
    sent = {name: value for name, value in headers.items() if name.lower() != "host"}
    sent["Host"] = target.host_header
    try:
        connection.request("POST", target.request_target, body=body, headers=sent, preload_content=False)
        response = connection.getresponse()
    except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
        failure = _failure(exc, fired.is_set(), timeout_s, address)
        return Attempt(None, failure, _elapsed_ms(started), "", None)
    status = response.status
    try:
        start_of_body = response.read(RESPONSE_BODY_BYTES, decode_content=False)
    except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError):
        start_of_body = b""  # the status is the answer; the body is only kept for the record
    if 200 <= status < 300:
        error = None
    elif 300 <= status < 400:
        error = f"HTTP {status}: redirects are not followed"
    else:
        error = f"HTTP {status}"
    return Attempt(
        status,
        error,
        _elapsed_ms(started),
        start_of_body[:RESPONSE_BODY_BYTES].decode("utf-8", errors="replace"),
        retry_after_seconds(response.headers.get("Retry-After")),
    )

"""Where a webhook may be sent (shared.webhooks.sender): the URL's form, every refused address range
(and its IPv4-mapped and other embedded forms), the metadata server's name, the loopback setting, and
``Retry-After``. Addresses are IP literals (resolved locally, no DNS); a name's several answers come
from a stand-in resolver, since the test machine has no public DNS."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from ipaddress import ip_address
from typing import Any

import pytest

from shared.model.errors import InvalidValue
from shared.webhooks.sender import MAX_RETRY_AFTER_SECONDS, address_refusal, check_url, retry_after_seconds

PUBLIC = "93.184.215.14"


def _problem(url: str, allow_loopback: bool = False) -> str:
    with pytest.raises(InvalidValue) as caught:
        check_url(url, allow_loopback)
    assert caught.value.field == "url"
    return caught.value.problem


def _resolver(answers: dict[str, list[str]]) -> Callable[..., list[Any]]:
    """A getaddrinfo that answers ``answers`` for the names in it and the real one for the rest."""
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        family = {True: socket.AF_INET6, False: socket.AF_INET}
        return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    return getaddrinfo


REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.255", "carrier-grade NAT"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("0.0.0.0", "'this network'"),
    ("0.1.2.3", "'this network'"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("::", "unspecified"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_every_refused_range_is_refused_as_a_literal_and_named(address: str, kind: str) -> None:
    host = f"[{address}]" if ":" in address else address
    problem = _problem(f"https://{host}/hook")
    assert kind in problem and "public addresses only" in problem


@pytest.mark.parametrize(("address", "kind"), [(a, k) for a, k in REFUSED if ":" not in a])
def test_the_ipv4_mapped_form_of_each_refused_ipv4_address_is_refused(address: str, kind: str) -> None:
    problem = _problem(f"https://[::ffff:{address}]/hook", allow_loopback=True)
    assert "IPv4-mapped" in problem and kind in problem


@pytest.mark.parametrize(
    ("address", "form"),
    [
        ("2002:7f00:1::1", "6to4"),  # 127.0.0.1
        ("2002:a9fe:a9fe::", "6to4"),  # 169.254.169.254
        ("64:ff9b::a00:1", "NAT64"),  # 10.0.0.1
        ("64:ff9b::7f00:1", "NAT64"),  # 127.0.0.1
    ],
)
def test_ipv6_forms_that_carry_a_refused_ipv4_address_are_refused(address: str, form: str) -> None:
    assert form in _problem(f"https://[{address}]/", allow_loopback=True)


@pytest.mark.parametrize("address", ["2001:db8::1", "192.0.2.1", "198.51.100.7", "::127.0.0.1"])
def test_other_special_purpose_addresses_are_refused(address: str) -> None:
    assert address_refusal(ip_address(address)) is not None


@pytest.mark.parametrize(
    "address", [PUBLIC, "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "100.128.0.1"]
)
def test_public_addresses_are_accepted(address: str) -> None:
    assert address_refusal(ip_address(address)) is None
    host = f"[{address}]" if ":" in address else address
    check_url(f"https://{host}:8443/hooks?x=1", allow_loopback=False)


@pytest.mark.parametrize(
    "name",
    [
        "metadata.google.internal",
        "METADATA.Google.Internal",
        "metadata.google.internal.",
        "Metadata.Google.Internal.",
    ],
)
def test_the_metadata_server_name_is_refused_in_any_case_with_or_without_the_dot(name: str) -> None:
    assert "metadata server" in _problem(f"https://{name}/computeMetadata/v1/", allow_loopback=True)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"http://{PUBLIC}/hook", "https"),
        (f"ftp://{PUBLIC}/hook", "https"),
        ("file:///etc/passwd", "https"),
        ("gopher://127.0.0.1:6379/_INFO", "https"),
        ("//example.com/hook", "https"),
        ("hook", "https"),
        ("", "https"),
        (f"https://user:secret@{PUBLIC}/hook", "credentials"),
        (f"https://user@{PUBLIC}/hook", "credentials"),
        (f"https://:secret@{PUBLIC}/hook", "credentials"),
        (f"https://@{PUBLIC}/hook", "credentials"),
        (f"https://{PUBLIC}\\@127.0.0.1/hook", "credentials"),
        ("https:///hook", "host"),
        (f"https://{PUBLIC}:99999/hook", "valid"),
        (f"https://{PUBLIC}:0/hook", "port"),
        (f"https://{PUBLIC}:x/hook", "valid"),
        (f"https://{PUBLIC}/ho ok", "spaces"),
        (f"https://{PUBLIC}/hook\n", "control"),
        ("https://exämple.com/hook", "ASCII"),
        ("https://exa%6dple.com/hook", "host name"),
        ("https://[::1/hook", "valid"),
        ("https://" + "a" * 2050 + ".com/", "2048"),
    ],
)
def test_malformed_urls_are_refused_with_the_reason(url: str, words: str) -> None:
    assert words in _problem(url, allow_loopback=True)


def test_an_unresolvable_host_is_refused() -> None:
    assert "does not resolve" in _problem("https://no-such-host.invalid/hook", allow_loopback=True)


def test_a_name_resolving_to_loopback_is_refused_without_the_loopback_setting() -> None:
    problem = _problem("https://localhost/hook")
    assert "localhost resolves to" in problem and "loopback" in problem
    assert "loopback" in _problem("https://2130706433/hook")  # 127.0.0.1 written as one number
    assert "loopback" in _problem("https://127.1/hook")


def test_the_loopback_setting_lets_loopback_in_over_http_and_https_and_nothing_else() -> None:
    for url in (
        "http://127.0.0.1:8080/hook",
        "https://127.0.0.5/hook",
        "http://[::1]:9/hook",
        "http://localhost/",
    ):
        check_url(url, allow_loopback=True)
    for address in (
        "10.0.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",
        "[fe80::2]",
    ):
        _problem(f"http://{address}/hook", allow_loopback=True)
        _problem(f"https://{address}/hook", allow_loopback=True)
    assert "https" in _problem(f"http://{PUBLIC}/hook", allow_loopback=True)


def test_if_any_address_of_a_name_is_refused_the_url_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        _resolver(
            {
                "mixed.example.test": [PUBLIC, "10.1.2.3"],
                "mapped.example.test": ["2606:4700:4700::1111", "::ffff:192.168.0.10"],
                "public.example.test": [PUBLIC, "2606:4700:4700::1111"],
                "split.example.test": ["127.0.0.1", PUBLIC],
            }
        ),
    )
    assert "mixed.example.test resolves to 10.1.2.3, a private address" in _problem(
        "https://mixed.example.test/"
    )
    assert "IPv4-mapped form of a private address" in _problem("https://mapped.example.test/")
    check_url("https://public.example.test/hook", allow_loopback=False)
    # http with the loopback setting: only when every address is loopback.
    assert "https" in _problem("http://split.example.test/", allow_loopback=True)
    check_url("https://split.example.test/", allow_loopback=True)
    assert "loopback" in _problem("https://split.example.test/", allow_loopback=False)


def test_retry_after_takes_seconds_or_an_http_date_capped_at_a_day() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds(" 0 ", now) == 0.0
    assert retry_after_seconds(format_datetime(now + timedelta(minutes=5), usegmt=True), now) == 300.0
    assert retry_after_seconds(format_datetime(now - timedelta(minutes=5), usegmt=True), now) == 0.0
    assert retry_after_seconds("999999", now) == MAX_RETRY_AFTER_SECONDS
    in_three_days = format_datetime(now + timedelta(days=3), usegmt=True)
    assert retry_after_seconds(in_three_days, now) == MAX_RETRY_AFTER_SECONDS
    for unreadable in (None, "", "-5", "1.5", "soon", "Mon, 99 Foo 2026"):
        assert retry_after_seconds(unreadable, now) is None

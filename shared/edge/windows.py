"""Fixed one-minute windows, and the IETF headers that announce the policies counted in them
(draft-ietf-httpapi-ratelimit-headers: ``RateLimit-Policy`` and ``RateLimit`` are Structured Field
Lists, one item per policy that applies to the caller)."""

from __future__ import annotations

WINDOW_SECONDS = 60


def minute_window(now: float) -> tuple[int, int]:
    """The fixed one-minute window ``now`` falls in: its start (epoch seconds) and the whole seconds
    to its end (at least 1)."""
    start = int(now) // WINDOW_SECONDS * WINDOW_SECONDS
    return start, max(1, start + WINDOW_SECONDS - int(now))


def policy_headers(policies: list[tuple[str, int, int]], reset: int) -> dict[str, str]:
    """``RateLimit-Policy`` and ``RateLimit`` naming each ``(name, quota, remaining)`` policy, all of
    one-minute windows ending in ``reset`` seconds."""
    return {
        "RateLimit-Policy": ", ".join(
            f'"{name}";q={quota};w={WINDOW_SECONDS}' for name, quota, _ in policies
        ),
        "RateLimit": ", ".join(f'"{name}";r={left};t={reset}' for name, _, left in policies),
    }

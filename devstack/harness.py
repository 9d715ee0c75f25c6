"""A stack of its own for the tests and the benchmarks: the emulators (or those the environment names),
a fresh project id, service settings made for the run, a signing key and the buckets.

:func:`isolated_stack` points this process at it (``os.environ`` and the settings cache) and puts
back the environment it found, and stops the emulators it started, when the block ends. Tokens the
stack accepts: :func:`devstack.tokens.stack_token` with ``env=stack.env`` (or the settings in force).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devstack.emulators import Emulators
from devstack.stackenv import clear_service_settings

if TYPE_CHECKING:
    from shared.model.event import Position
    from shared.store.events import EventStore


def service_settings(label: str) -> dict[str, str]:
    """The settings of a ``label`` run (``test``, ``bench``): dev-style secrets and buckets of its own,
    so a token minted for one run is refused by another."""
    return {
        "EVENTS_JWT_ISSUER": f"https://auth.{label}.novavms/",
        "EVENTS_JWT_AUDIENCE": f"novavms-events-{label}",
        "EVENTS_JWT_DEV_SECRET": f"{label}-secret-0123456789abcdef0123456789",
        "EVENTS_CURSOR_KEY": f"{label}-cursor-key-0123456789abcdef",
        "EVENTS_API_KEY_PREFIX": "sk_test_",
        "EVENTS_API_KEY_SECRET": f"{label}-api-key-secret-0123456789abcdef",
        "EVENTS_MEDIA_BUCKET": f"{label}-media",
        "EVENTS_EXPORT_BUCKET": f"{label}-exports",
        "EVENTS_STORE_COST_HEADER": "true",
        "EVENTS_SIGNING_HMAC_ACCESS_ID": f"GOOG1E{label.upper()}SIGNER",
        "EVENTS_SIGNING_HMAC_SECRET": f"{label}-hmac-secret-0123456789abcdef",
        "EVENTS_UPLOAD_HMAC_ACCESS_ID": f"GOOG1E{label.upper()}UPLOADER",
        "EVENTS_UPLOAD_HMAC_SECRET": f"{label}-upload-hmac-secret-0123456789abcdef",
        # one client address (loopback) makes every request of a run: the limit of failed
        # authentications is set per test where it is what the test checks
        "EVENTS_AUTH_FAILURES_PER_MINUTE": "1000000",
        # a test run's event streams close after 2 s, so a generated request that opens one ends
        # (tests that hold a stream open set their own)
        **({"EVENTS_STREAM_MAX_SECONDS": "2"} if label == "test" else {}),
        # benchmarks measure the service, not its rate limit
        **({"EVENTS_RATE_LIMIT_PER_MINUTE": "1000000"} if label == "bench" else {}),
        "EVENTS_WEBHOOK_SECRET_KEY": f"{label}-webhook-secret-key-0123456789abcdef",
        # receivers on loopback, unless the caller said false (to test the production URL rules)
        "EVENTS_WEBHOOK_ALLOW_LOOPBACK": (
            "false"
            if os.environ.get("EVENTS_WEBHOOK_ALLOW_LOOPBACK", "").strip().lower() == "false"
            else "true"
        ),
    }


@dataclass
class Stack:
    """The running emulators, the project id and the environment the stack was given."""

    emulators: Emulators
    project: str
    env: dict[str, str]
    workdir: Path


@contextmanager
def isolated_stack(
    label: str, workdir: Path, *, heap: str = "-Xmx512m", extra_env: Mapping[str, str] | None = None
) -> Iterator[Stack]:
    """Start the emulators (logs in ``workdir``), then point this process at them with a fresh project
    id ``<label>-...``, :func:`service_settings` of ``label`` (and ``extra_env``) and no other service
    setting of the shell; create the buckets. Afterwards restore the environment and stop them."""
    from devstack.seed import ensure_buckets
    from shared.config import settings

    saved = dict(os.environ)
    emulators = Emulators.start(log_dir=workdir, heap=heap)
    try:
        project = f"{label}-{uuid.uuid4().hex[:10]}"
        chosen = service_settings(label)  # before the shell's settings are cleared: it reads one
        clear_service_settings()
        env = {**emulators.environment(), **chosen, "GOOGLE_CLOUD_PROJECT": project}
        env.update(extra_env or {})
        os.environ.update(env)
        settings.cache_clear()
        ensure_buckets()
        yield Stack(emulators, project, env, workdir)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()
        emulators.stop()


HISTORY_PAGE = 100


def whole_history(store: EventStore, event_id: str) -> list[dict[str, Any]]:
    """Every history entry of the event, oldest first, read the way the API reads it (the store's
    ``history_page``; a dismissed event's too); NotFoundError when the event is absent."""
    entries: list[dict[str, Any]] = []
    after: Position | None = None
    while True:
        page, after = store.history_page(event_id, after, HISTORY_PAGE, include_deleted=True)
        entries += page
        if after is None:
            return entries

"""The local stack's configuration: dev defaults, overridable by the environment, and the state file
that lets ``novavms-events token`` / ``load`` find a running ``make dev``. The state, the generated
signing key and the emulator logs live in ``.devstack/`` (``NOVAVMS_DEVSTACK_DIR`` moves them)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("NOVAVMS_DEVSTACK_DIR") or ROOT / ".devstack")
STATE_FILE = STATE_DIR / "state.json"
_DEFAULTED: set[str] = set()

DEV_DEFAULTS = {
    "GOOGLE_CLOUD_PROJECT": "novavms-dev",
    "EVENTS_JWT_ISSUER": "https://auth.novavms.local/",
    "EVENTS_JWT_AUDIENCE": "novavms-events",
    "EVENTS_JWT_DEV_SECRET": "novavms-dev-secret-not-for-production",
    "EVENTS_CURSOR_KEY": "novavms-dev-cursor-key-not-for-production",
    "EVENTS_API_KEY_PREFIX": "sk_test_",
    "EVENTS_API_KEY_SECRET": "novavms-dev-api-key-secret-not-for-production",
    "EVENTS_MEDIA_BUCKET": "novavms-dev-media",
    "EVENTS_EXPORT_BUCKET": "novavms-dev-exports",
    "EVENTS_STORE_COST_HEADER": "true",
    # Media URLs are signed as in production (an HMAC key), with a dev key the emulator does not check.
    "EVENTS_SIGNING_HMAC_ACCESS_ID": "GOOG1EDEVSIGNERNOTFORPRODUCTION",
    "EVENTS_SIGNING_HMAC_SECRET": "novavms-dev-hmac-secret-not-for-production",
}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def running_stack() -> dict[str, Any] | None:
    """The state a running ``make dev`` wrote (its hosts and settings), or None."""
    try:
        state: dict[str, Any] = json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return None
    return state if _alive(int(state.get("pid", 0))) else None


def apply_dev_environment() -> dict[str, str]:
    """Fill in what the environment leaves unset: first from a running stack, then dev defaults.

    Variables already set always win (Google's conventions: ``FIRESTORE_EMULATOR_HOST``,
    ``STORAGE_EMULATOR_HOST``, ``GOOGLE_CLOUD_PROJECT``). Returns the variables it set.
    """
    stack = running_stack()
    chosen = {**DEV_DEFAULTS, **(stack or {}).get("env", {})}
    applied = {name: value for name, value in chosen.items() if not os.environ.get(name)}
    if stack is None and "GOOGLE_CLOUD_PROJECT" in applied:
        _DEFAULTED.add("GOOGLE_CLOUD_PROJECT")
    os.environ.update(applied)
    from shared.config import settings

    settings.cache_clear()
    return applied


def explicit_project_defaulted() -> bool:
    """Whether ``GOOGLE_CLOUD_PROJECT`` is only the dev default (the user named no project and no
    stack is running): then nothing may fall back to real Google Cloud credentials."""
    return "GOOGLE_CLOUD_PROJECT" in _DEFAULTED


def write_state(env: dict[str, str], port: int) -> None:
    """Record the running stack for other commands."""
    STATE_DIR.mkdir(exist_ok=True)
    STATE_FILE.write_text(json.dumps({"pid": os.getpid(), "port": port, "env": env}, indent=2))


def clear_state() -> None:
    """Remove the state file if this process wrote it (never another stack's)."""
    try:
        state = json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return
    if state.get("pid") == os.getpid():
        STATE_FILE.unlink(missing_ok=True)


def clear_service_settings() -> None:
    """Unset every service setting (``EVENTS_*``, ``EVENT_*``) the shell may carry, so a test or
    benchmark run starts from its own configuration only."""
    for name in [name for name in os.environ if name.startswith(("EVENTS_", "EVENT_"))]:
        del os.environ[name]

"""The local stack's configuration: dev defaults, overridable by the environment, and the state file
that lets ``novavms-events token`` / ``load`` find a running ``make dev``. The state, the generated
signing key and the emulator logs live in ``.devstack/`` (``NOVAVMS_DEVSTACK_DIR`` moves them).

Every running stack of this checkout is also registered by the port it serves in
``.devstack/stacks/<port>.json`` (naming its state file), so the commands find a stack started under
another ``NOVAVMS_DEVSTACK_DIR`` without that variable: the one running stack, or the one serving
``--stack-port``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = ROOT / ".devstack"
STATE_DIR = Path(os.environ.get("NOVAVMS_DEVSTACK_DIR") or DEFAULT_STATE_DIR)
STATE_FILE = STATE_DIR / "state.json"
STACKS_DIR = DEFAULT_STATE_DIR / "stacks"
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
    # Upload URLs are signed by an uploader key of their own, as in production.
    "EVENTS_UPLOAD_HMAC_ACCESS_ID": "GOOG1EDEVUPLOADERNOTFORPRODUCTION",
    "EVENTS_UPLOAD_HMAC_SECRET": "novavms-dev-upload-hmac-secret-not-for-production",
    # Webhooks: endpoint secrets encrypted under a dev key; http loopback receivers allowed (set
    # EVENTS_WEBHOOK_ALLOW_LOOPBACK=false to try the production URL rules).
    "EVENTS_WEBHOOK_SECRET_KEY": "novavms-dev-webhook-secret-key-not-for-production",
    "EVENTS_WEBHOOK_ALLOW_LOOPBACK": "true",
}


def _alive(pid: int) -> bool:
    if pid <= 0:  # 0 and negatives name process groups, never a stack
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _live_state(path: Path) -> dict[str, Any] | None:
    """The state in ``path`` when the stack that wrote it still runs, else None."""
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and _alive(int(state.get("pid", 0))) else None


def own_stack() -> dict[str, Any] | None:
    """The state a running ``make dev`` wrote in this state directory (:data:`STATE_DIR`), or None."""
    return _live_state(STATE_FILE)


def live_stacks() -> list[dict[str, Any]]:
    """The state of every registered stack of this checkout that still runs, by port."""
    found = []
    for entry in sorted(STACKS_DIR.glob("*.json")):
        try:
            pointer = json.loads(entry.read_text())
        except (OSError, ValueError):
            continue
        state = _live_state(Path(str(pointer.get("state", "")))) if isinstance(pointer, dict) else None
        if state is not None and str(state.get("port")) == entry.stem:
            found.append(state)
    return sorted(found, key=lambda state: int(state["port"]))


def running_stack(port: int | None = None) -> dict[str, Any] | None:
    """The running stack the commands use, or None: the one serving ``port`` when given; else the one
    of ``NOVAVMS_DEVSTACK_DIR`` when that is set; else the one of ``.devstack/``, or when none runs
    there the only stack registered elsewhere (None when several are: say which with a port)."""
    if port is not None:
        return next((state for state in live_stacks() if state.get("port") == port), None)
    own = own_stack()
    if own is not None or os.environ.get("NOVAVMS_DEVSTACK_DIR"):
        return own
    others = live_stacks()
    return others[0] if len(others) == 1 else None


def apply_dev_environment(port: int | None = None) -> dict[str, str]:
    """Fill in what the environment leaves unset: first from the running stack
    (:func:`running_stack`, ``port`` choosing it), then dev defaults.

    Variables already set always win (Google's conventions: ``FIRESTORE_EMULATOR_HOST``,
    ``STORAGE_EMULATOR_HOST``, ``GOOGLE_CLOUD_PROJECT``). Returns the variables it set.
    """
    stack = running_stack(port)
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
    """Record the running stack for other commands, and register it by its port."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps({"pid": os.getpid(), "port": port, "env": env}, indent=2))
    try:
        STACKS_DIR.mkdir(parents=True, exist_ok=True)
        (STACKS_DIR / f"{port}.json").write_text(json.dumps({"state": str(STATE_FILE.resolve())}))
    except OSError:  # a read-only checkout: the stack is still found by its NOVAVMS_DEVSTACK_DIR
        pass


def clear_state() -> None:
    """Remove the state file and the registration if this process wrote them (never another
    stack's)."""
    state = _live_state(STATE_FILE)
    if state is None or state.get("pid") != os.getpid():
        return
    STATE_FILE.unlink(missing_ok=True)
    (STACKS_DIR / f"{state.get('port')}.json").unlink(missing_ok=True)


def clear_service_settings() -> None:
    """Unset every service setting (``EVENTS_*``, ``EVENT_*``) the shell may carry, so a test or
    benchmark run starts from its own configuration only."""
    for name in [name for name in os.environ if name.startswith(("EVENTS_", "EVENT_"))]:
        del os.environ[name]

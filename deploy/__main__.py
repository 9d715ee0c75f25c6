"""``python -m deploy``: deploy a tenant (or all), print the plan, or render its files.

python -m deploy --tenant acme --dry-run     # print exactly what would run
python -m deploy --tenant acme               # run it (needs gcloud and firebase, logged in)
python -m deploy --all --dry-run
python -m deploy render --tenant acme --out build/acme --jwt-issuer ... --jwt-jwks-url ... --jwt-audience ...
python -m deploy lock [--upgrade]            # regenerate deploy/requirements.lock (uv, needs the index)
python -m deploy lock --check                # offline: the lock agrees with pyproject.toml and bundles
python -m deploy prune-indexes --tenant acme [--dry-run]  # remove indexes the file no longer declares
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from deploy.bundle import BundleError, build_bundle, requirements
from deploy.gateway_config import render as render_gateway
from deploy.lock import LOCK_FILE, LockError, problems, read_lock, write_lock
from deploy.plan import ALL_FUNCTIONS, build_dir, prune_steps, steps
from deploy.tenants import Tenant, load_tenants

DEPLOY_DIR = Path(__file__).resolve().parent


def render_firebase(tenant: Tenant, out: Path) -> None:
    """Write the Firebase config of the tenant's database, its rules and indexes files into
    ``out/firebase``."""
    firebase = out / "firebase"
    firebase.mkdir(parents=True, exist_ok=True)
    for name in ("firestore.rules", "firestore.indexes.json"):
        (firebase / name).write_text((DEPLOY_DIR / name).read_text())
    config = {
        "firestore": [
            {"database": tenant.database, "rules": "firestore.rules", "indexes": "firestore.indexes.json"}
        ]
    }
    (firebase / "firebase.json").write_text(json.dumps(config, indent=2) + "\n")


def prune_command(args: list[str], tenants: dict[str, Tenant]) -> int:
    """``prune-indexes``: print (``--dry-run``) or run the removal of the tenant's indexes that
    ``deploy/firestore.indexes.json`` no longer declares, its Firebase config rendered first."""
    parser = argparse.ArgumentParser(prog="python -m deploy prune-indexes")
    parser.add_argument("--tenant", required=True, choices=sorted(tenants))
    parser.add_argument("--dry-run", action="store_true", help="print the commands instead of running them")
    options = parser.parse_args(args)
    tenant = tenants[options.tenant]
    script = "\n".join(prune_steps(tenant)) + "\n"
    if options.dry_run:
        sys.stdout.write(script)
        return 0
    render_firebase(tenant, Path(build_dir(tenant)))
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], check=False).returncode


def render_files(tenant: Tenant, out: Path, jwt_issuer: str, jwt_jwks_url: str, jwt_audience: str) -> None:
    """Write everything the plan's commands read: bundles, gateway config (and its id), Firestore
    config, bucket policies."""
    out.mkdir(parents=True, exist_ok=True)
    lock = read_lock()
    for function in ALL_FUNCTIONS:
        build_bundle(function, out / "bundles" / function, lock)
    gateway = render_gateway(
        {function: tenant.function_name(function) for function in ALL_FUNCTIONS},
        region=tenant.region,
        project=tenant.project,
        title=f"NovaVMS Events {tenant.name}",
        jwt_issuer=jwt_issuer,
        jwt_jwks_url=jwt_jwks_url,
        jwt_audiences=[jwt_audience],
    )
    text = json.dumps(gateway, indent=2, sort_keys=True)
    (out / "gateway.json").write_text(text + "\n")
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    (out / "gateway-config-id").write_text(f"{tenant.prefix}-{digest}\n")
    render_firebase(tenant, out)
    lifecycle = {"rule": [{"action": {"type": "Delete"}, "condition": {"age": tenant.export_retention_days}}]}
    (out / "export-lifecycle.json").write_text(json.dumps(lifecycle, indent=2) + "\n")
    cors = [
        {
            "origin": list(tenant.cors_origins),
            "method": ["GET", "HEAD"],
            "responseHeader": ["Content-Type"],
            "maxAgeSeconds": 3600,
        }
    ]
    (out / "media-cors.json").write_text(json.dumps(cors, indent=2) + "\n")


def lock_command(args: list[str]) -> int:
    """``python -m deploy lock``: regenerate the lock, or (``--check``) check it offline."""
    parser = argparse.ArgumentParser(
        prog="python -m deploy lock",
        description="Regenerate deploy/requirements.lock with uv (or check it offline).",
    )
    parser.add_argument("--upgrade", action="store_true", help="newest allowed versions, not the pins")
    parser.add_argument("--check", action="store_true", help="check the lock offline, write nothing")
    options = parser.parse_args(args)
    try:
        if not options.check:
            lock = write_lock(upgrade=options.upgrade)
            print(f"wrote {len(lock.versions)} distributions to {LOCK_FILE}")
            return 0
        lock = read_lock()
        found = problems(lock)
        for function in ALL_FUNCTIONS:
            try:
                requirements(function, lock)
            except BundleError as exc:
                found.append(str(exc))
    except (LockError, subprocess.CalledProcessError) as exc:
        print(f"{LOCK_FILE}: {exc}", file=sys.stderr)
        return 1
    for problem in found:
        print(f"{LOCK_FILE}: {problem}", file=sys.stderr)
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["lock"]:
        return lock_command(args[1:])
    tenants = load_tenants()
    if args[:1] == ["prune-indexes"]:
        return prune_command(args[1:], tenants)
    if args[:1] == ["render"]:
        render = argparse.ArgumentParser(prog="python -m deploy render")
        render.add_argument("--tenant", required=True, choices=sorted(tenants))
        render.add_argument("--out", required=True, type=Path)
        render.add_argument("--jwt-issuer", required=True)
        render.add_argument("--jwt-jwks-url", required=True)
        render.add_argument("--jwt-audience", required=True)
        options = render.parse_args(args[1:])
        render_files(
            tenants[options.tenant],
            options.out,
            options.jwt_issuer,
            options.jwt_jwks_url,
            options.jwt_audience,
        )
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m deploy", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tenant", choices=sorted(tenants))
    which.add_argument("--all", action="store_true", help="every tenant of deploy/tenants.toml")
    parser.add_argument("--dry-run", action="store_true", help="print the commands instead of running them")
    parser.add_argument("--project", help="deploy into this project instead of the tenants file's")
    options = parser.parse_args(args)
    chosen = list(tenants.values()) if options.all else [tenants[options.tenant]]
    if options.project:
        chosen = [dataclasses.replace(tenant, project=options.project) for tenant in chosen]
    script = "\n".join(line for tenant in chosen for line in steps(tenant)) + "\n"
    if options.dry_run:
        sys.stdout.write(script)
        return 0
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())

"""The tenants file (``deploy/tenants.toml``): one per-tenant deployment each."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.runtime import RuntimeMismatch, check_runtime

TENANTS_FILE = Path(__file__).resolve().parent / "tenants.toml"
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,20}$")


class TenantError(ValueError):
    """The tenants file is wrong."""


@dataclass(frozen=True)
class Tenant:
    """One deployment: an org in a project and region, with its buckets, database and schedule."""

    name: str
    org_id: str
    project: str
    region: str
    runtime: str
    min_instances: int
    max_instances: int
    schedule: str
    time_zone: str
    media_bucket: str
    export_bucket: str
    database: str
    export_retention_days: int
    export_max_rows: int
    scheduled_export_max_rows: int
    backup_retention: str
    cors_origins: tuple[str, ...]
    ingest_topic: str

    @property
    def prefix(self) -> str:
        """Prefix of this tenant's resource names (functions, accounts, secrets, gateway)."""
        return f"events-{self.name}"

    def function_name(self, function: str) -> str:
        """Deployed name of a function, e.g. ``events-acme-list-events``."""
        return f"{self.prefix}-{function.replace('_', '-')}"

    def account(self, role: str) -> str:
        """Email of one of the tenant's service accounts (``fn``, ``gw``, ``sched``, ``signer``,
        ``trigger``, ``pub``)."""
        return f"{self.prefix}-{role}@{self.project}.iam.gserviceaccount.com"

    def secret(self, name: str) -> str:
        return f"{self.prefix}-{name}"


def check_tenant_runtime(tenant: Tenant) -> None:
    """Raise TenantError unless the tenant deploys on the project's Python (see deploy/runtime.py)."""
    try:
        check_runtime(tenant.runtime)
    except RuntimeMismatch as exc:
        raise TenantError(f"tenant {tenant.name}: {exc}") from exc


def load_tenants(path: Path = TENANTS_FILE) -> dict[str, Tenant]:
    """Every tenant of the file, checked."""
    data = tomllib.loads(path.read_text())
    defaults: dict[str, Any] = data.get("defaults", {})
    tenants: dict[str, Tenant] = {}
    for name, values in data.get("tenants", {}).items():
        if not _NAME.match(name):
            raise TenantError(f"tenant name {name!r}: lowercase letters, digits and '-', at most 21")
        merged = {**defaults, **values}
        try:
            tenant = Tenant(name=name, **{**merged, "cors_origins": tuple(merged.get("cors_origins", ()))})
        except TypeError as exc:
            raise TenantError(f"tenant {name}: {exc}") from exc
        if not 0 <= tenant.min_instances <= tenant.max_instances:
            raise TenantError(f"tenant {name}: need 0 <= min_instances <= max_instances")
        if len(tenant.schedule.split()) != 5:
            raise TenantError(f"tenant {name}: schedule must be a 5-field cron expression")
        check_tenant_runtime(tenant)
        shared_topic = [
            other.name
            for other in tenants.values()
            if (other.project, other.ingest_topic) == (tenant.project, tenant.ingest_topic)
        ]
        if shared_topic:
            raise TenantError(
                f"tenant {name}: ingest_topic {tenant.ingest_topic!r} in {tenant.project} is tenant"
                f" {shared_topic[0]}'s: give one of them its own"
            )
        tenants[name] = tenant
    return tenants

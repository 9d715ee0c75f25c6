"""The body of a scheduled export job and the object it writes.

Body (JSON object, every key optional): ``org_id`` (required unless the deployment is pinned to an
org, and then it must be that org), ``date_from``/``date_to`` (as in the list; default: the previous
UTC day), and any list filter (``camera_id``, ``site_id``, ``trigger_type``, ``ai_status``,
``starred``); give both bounds or neither. The object name is made of org, period and filters,
so running the same job for the same period again replaces the same object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from shared.api.bodies import json_object
from shared.api.query import FILTER_PARAMETERS, parse_list_query
from shared.errors import ValidationError
from shared.ids import valid_org_id
from shared.model.filter import EventFilter

STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class ScheduledJob:
    """A validated job: whose events, which ones."""

    org_id: str
    event_filter: EventFilter

    @property
    def object_name(self) -> str:
        """``exports/<org>/scheduled/events-<org>-<from>_<to>[-<filters>].csv``."""
        assert self.event_filter.date_from and self.event_filter.date_to
        period = f"{self.event_filter.date_from:{STAMP}}_{self.event_filter.date_to:{STAMP}}"
        filters = ",".join(f"{name}={str(value).lower()}" for name, value in self.event_filter.equalities())
        suffix = f"-{filters}" if filters else ""
        return f"exports/{self.org_id}/scheduled/events-{self.org_id}-{period}{suffix}.csv"


def parse_job(body: bytes, pinned_org: str | None, today: date) -> ScheduledJob:
    """Validate a job body; raises ValidationError naming the bad field."""
    data = json_object(body, empty={})
    org_id = data.pop("org_id", pinned_org)
    if not valid_org_id(org_id):
        raise ValidationError.field("org_id", "required: the org whose events to export")
    if pinned_org is not None and org_id != pinned_org:
        raise ValidationError.field("org_id", "this deployment serves another org")
    problems = {name: "not a job field" for name in data if name not in FILTER_PARAMETERS}
    if problems:
        raise ValidationError.of("job", problems)
    if ("date_from" in data) != ("date_to" in data):
        raise ValidationError.field(
            "date_to" if "date_from" in data else "date_from", "give both bounds, or neither"
        )
    yesterday = (today - timedelta(days=1)).isoformat()
    data.setdefault("date_from", yesterday)
    data.setdefault("date_to", yesterday)
    as_query = {name: [_text(value)] for name, value in data.items()}
    return ScheduledJob(org_id, parse_list_query(as_query, default_limit=None).filter)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)

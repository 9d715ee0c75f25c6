"""The body of a scheduled export job.

Body (JSON object, every key optional): ``org_id`` (required unless the deployment is pinned to an
org, and then it must be that org), ``date_from``/``date_to`` (as in the list; default: the previous
UTC day), and any list filter (``camera_id``, ``site_id``, ``trigger_type``, ``ai_status``,
``starred``); give both bounds or neither. Its object is named by
:func:`shared.exports.objects.scheduled_export`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.api.bodies import json_object
from shared.api.query import FILTER_PARAMETERS, filter_arguments, parse_list_query
from shared.errors import ValidationError
from shared.ids import valid_org_id
from shared.model.filter import EventFilter


@dataclass(frozen=True)
class ScheduledJob:
    """A validated job: whose events, which ones."""

    org_id: str
    event_filter: EventFilter


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
    args = filter_arguments(data, "", problems)
    if problems:
        raise ValidationError.of("job", problems)
    return ScheduledJob(org_id, parse_list_query(args, default_limit=None).filter)

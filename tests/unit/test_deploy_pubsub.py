"""The deploy plan's Pub/Sub ingest, rendered for every tenant: both topics, the trigger with
retries, the dead-letter policy of the trigger's subscription and the IAM dead-lettering needs, the
named publisher, and how to publish."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from deploy.plan import APIS, MAX_DELIVERY_ATTEMPTS, PUBSUB_INGEST, steps
from deploy.tenants import TenantError, load_tenants

TENANTS = load_tenants()


@pytest.mark.parametrize("name", sorted(TENANTS))
def test_the_plan_makes_the_topics_the_trigger_with_retries_and_its_dead_letter_policy(name: str) -> None:
    tenant = TENANTS[name]
    plan = steps(tenant)
    p, topic, dead = f"--project={tenant.project}", tenant.ingest_topic, f"{tenant.ingest_topic}-dead"
    assert {"pubsub.googleapis.com", "eventarc.googleapis.com"} <= set(APIS)
    for made in (topic, dead):
        assert (
            f"gcloud pubsub topics describe {made} {p} >/dev/null 2>&1 || "
            f"gcloud pubsub topics create {made} {p}" in plan
        )
    (inbox,) = [line for line in plan if "subscriptions create" in line]
    assert f"--topic={dead}" in inbox, "dead letters are kept for someone to read"

    (deploy,) = [
        shlex.split(line)
        for line in plan
        if f"functions deploy {tenant.function_name(PUBSUB_INGEST)} " in line
    ]
    assert f"--trigger-topic={topic}" in deploy and "--retry" in deploy and "--trigger-http" not in deploy
    assert f"--entry-point={PUBSUB_INGEST}" in deploy
    assert f"--trigger-service-account={tenant.account('trigger')}" in deploy
    env = next(arg for arg in deploy if arg.startswith("--set-env-vars="))
    assert f"EVENTS_PINNED_ORG={tenant.org_id}" in env and f"EVENTS_INGEST_TOPIC={topic}" in env
    assert "EVENTS_FORWARDED_AUTH" not in env, "no gateway in front of it"
    (invoker,) = [
        line for line in plan if f"add-invoker-policy-binding {tenant.function_name(PUBSUB_INGEST)} " in line
    ]
    assert f"serviceAccount:{tenant.account('trigger')}" in invoker

    at = {name: index for index, line in enumerate(plan) for name in (line,)}
    (policy,) = [
        line
        for line in plan
        if line.startswith('gcloud pubsub subscriptions update "$TRIGGER_SUBSCRIPTION" ')
    ]
    assert (
        f"--dead-letter-topic={dead}" in policy
        and f"--max-delivery-attempts={MAX_DELIVERY_ATTEMPTS}" in policy
    )
    (found,) = [
        line for line in plan if line.startswith("TRIGGER_SUBSCRIPTION=$(gcloud eventarc triggers describe")
    ]
    assert "value(eventTrigger.trigger)" in found and "value(transport.pubsub.subscription)" in found
    assert "@gcp-sa-pubsub.iam.gserviceaccount.com" in found, "the Pub/Sub service agent"
    agent = [line for line in plan if '--member="serviceAccount:$PUBSUB_AGENT"' in line]
    assert any(
        f"topics add-iam-policy-binding {dead} " in line and "roles/pubsub.publisher" in line
        for line in agent
    )
    assert any(
        'subscriptions add-iam-policy-binding "$TRIGGER_SUBSCRIPTION"' in line
        and "roles/pubsub.subscriber" in line
        for line in agent
    )
    assert at[shlex.join(deploy)] < at[found] < at[policy] < min(at[line] for line in agent)

    publisher = tenant.account("pub")
    granted = [line for line in plan if f"--member=serviceAccount:{publisher}" in line]
    assert granted == [
        f"gcloud pubsub topics add-iam-policy-binding {topic} --member=serviceAccount:{publisher} "
        f"--role=roles/pubsub.publisher {p}"
    ], "the publisher may publish to the ingest topic and nothing else"
    assert any(f"gcloud iam service-accounts create {tenant.prefix}-pub " in line for line in plan)
    fn_dead = [
        line
        for line in plan
        if f"topics add-iam-policy-binding {dead} --member=serviceAccount:{tenant.account('fn')}" in line
    ]
    assert fn_dead, "the function publishes what it rejects"
    (how,) = [line for line in plan if line.startswith("echo ")]
    assert f"gcloud pubsub topics publish {topic} " in how and f"--attribute=org_id={tenant.org_id}" in how


def test_the_whole_plan_is_valid_bash() -> None:
    script = "\n".join(line for tenant in TENANTS.values() for line in steps(tenant)) + "\n"
    # on stdin: the script is longer than one argument may be (128 KiB)
    checked = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_two_tenants_of_one_project_may_not_share_an_ingest_topic(tmp_path: Path) -> None:
    tenant = """
[tenants.{name}]
org_id = "{name}"
project = "shared-project"
region = "europe-west1"
runtime = "python311"
min_instances = 0
max_instances = 1
schedule = "0 3 * * *"
time_zone = "Etc/UTC"
media_bucket = "{name}-media"
export_bucket = "{name}-exports"
database = "{name}"
export_retention_days = 1
export_max_rows = 1
scheduled_export_max_rows = 1
backup_retention = "1d"
ingest_topic = "{topic}"
"""
    path = tmp_path / "tenants.toml"
    path.write_text(
        tenant.format(name="one", topic="events-ingest") + tenant.format(name="two", topic="events-ingest")
    )
    with pytest.raises(TenantError, match="ingest_topic"):
        load_tenants(path)
    path.write_text(
        tenant.format(name="one", topic="events-ingest") + tenant.format(name="two", topic="events-two")
    )
    assert sorted(load_tenants(path)) == ["one", "two"]

"""The deployment adds Firestore indexes and never removes one; removing those no longer declared is
the separate ``prune-indexes`` command, which the runbook documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.__main__ import main
from deploy.plan import prune_steps, steps
from deploy.tenants import load_tenants

ROOT = Path(__file__).resolve().parents[2]
TENANT = load_tenants()["acme"]


def test_the_deployment_deploys_the_indexes_file_and_never_forces_a_removal() -> None:
    firebase = [line for line in steps(TENANT) if line.startswith("firebase ")]
    assert len(firebase) == 1 and "--only=firestore" in firebase[0]
    assert "--config=build/acme/firebase/firebase.json" in firebase[0]
    assert not any(
        "--force" in line or ("prune-indexes" in line and not line.startswith("#")) for line in steps(TENANT)
    )


def test_pruning_is_its_own_command_that_forces_the_declared_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prune-indexes", "--tenant", "acme", "--dry-run"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == prune_steps(TENANT)
    removal = [line for line in printed if line.startswith("firebase deploy ")]
    assert len(removal) == 1
    assert "--only=firestore:indexes" in removal[0] and "--force" in removal[0]
    assert any(line.startswith("gcloud firestore indexes composite list ") for line in printed)


def test_the_runbook_documents_the_prune_step() -> None:
    runbook = (ROOT / "docs" / "deploying.md").read_text()
    assert ".venv/bin/python -m deploy prune-indexes --tenant acme" in runbook

"""The deployment runbook (docs/deploying.md) against the plan it describes: the plan of the runbook's
tenant is rendered here, and the runbook's sections, counts, functions and command order must match it,
so a change of the plan that the runbook does not follow fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deploy.plan import ALL_FUNCTIONS, APIS, SECRETS, steps
from deploy.tenants import load_tenants

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = (ROOT / "docs" / "deploying.md").read_text()
TENANT = load_tenants()["acme"]  # the runbook's example tenant
PLAN = steps(TENANT)
COMMANDS = [line for line in PLAN if not line.startswith("#")]


def between(name: str) -> str:
    """The runbook's text between its ``plan:<name>`` markers."""
    start, end = f"<!-- plan:{name}:start -->", f"<!-- plan:{name}:end -->"
    assert start in RUNBOOK and end in RUNBOOK, f"the runbook lost its {name} markers"
    return RUNBOOK.split(start, 1)[1].split(end, 1)[0]


def plan_sections() -> list[tuple[str, int]]:
    """The plan's sections: each ``#`` line of ``--dry-run`` and how many commands follow it."""
    sections: list[tuple[str, int]] = []
    for line in PLAN:
        if line.startswith("# "):
            sections.append((line[2:], 0))
        else:
            title, count = sections[-1]
            sections[-1] = (title, count + 1)
    return sections


def deployed_functions() -> list[str]:
    """The functions in the order the plan deploys them."""
    return [
        function
        for line in COMMANDS
        for function in ALL_FUNCTIONS
        if line.startswith(f"gcloud functions deploy {TENANT.function_name(function)} ")
    ]


def shell_blocks() -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", RUNBOOK, re.MULTILINE | re.DOTALL)


def block_index(line: str) -> int:
    """The index of the runbook's first shell block that holds ``line`` as a line of its own."""
    for index, block in enumerate(shell_blocks()):
        if line in block.splitlines():
            return index
    pytest.fail(f"the runbook has no command {line!r}")


def test_the_sections_table_is_the_plans_sections_in_order_with_their_counts() -> None:
    rows = [
        (int(number), title.strip(), int(count))
        for number, title, count in re.findall(
            r"^\| (\d+) \| (.+?) \| (\d+) \| .+\|$", between("sections"), re.MULTILINE
        )
    ]
    assert rows == [(n, title, count) for n, (title, count) in enumerate(plan_sections(), 1)]


def test_the_functions_are_the_plans_in_deploy_order_and_every_count_says_so() -> None:
    listed = re.findall(r"^\d+\. `(\w+)`$", between("functions"), re.MULTILINE)
    assert listed == deployed_functions()
    assert sorted(listed) == sorted(ALL_FUNCTIONS), "the plan deploys every function once"
    stated = {int(count) for count in re.findall(r"\b(\d+) functions\b", RUNBOOK)}
    assert stated == {len(listed)}, f"the runbook states {stated} functions; the plan deploys {len(listed)}"
    assert {int(n) for n in re.findall(r"\b(\d+) APIs\b", RUNBOOK)} == {len(APIS)}
    assert {int(n) for n in re.findall(r"\bthe (\d+) secrets\b", RUNBOOK)} == {len(SECRETS)}


def test_the_commands_run_in_the_order_the_plan_needs() -> None:
    enable = block_index(COMMANDS[0])  # the plan's first command: the APIs, Secret Manager's included
    dry_run = block_index(f".venv/bin/python -m deploy --tenant {TENANT.name} --dry-run")
    deploy = block_index(f".venv/bin/python -m deploy --tenant {TENANT.name}")
    assert COMMANDS[0].startswith("gcloud services enable ")
    assert enable < dry_run < deploy

    # A secret the plan reads, or gives the functions, holds a value before the plan runs: the plan
    # fills some itself (a version it adds); the runbook creates the others with their values first.
    filled_by_plan = {
        TENANT.secret(name)
        for name in SECRETS.values()
        if any(f"gcloud secrets versions add {TENANT.secret(name)} " in line for line in COMMANDS)
    }
    read_by_plan = set(re.findall(r"secrets versions access latest --secret=(\S+)", "\n".join(COMMANDS)))
    out_of_band = {TENANT.secret(name) for name in SECRETS.values()} - filled_by_plan
    assert read_by_plan and read_by_plan <= out_of_band
    stated = re.search(
        r"reads (\w+) secrets whose values only you have.*?The other (\w+) secrets", RUNBOOK, re.S
    )
    assert stated, "the runbook says how many secrets are yours and how many the plan fills"
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
    assert (words[stated[1]], words[stated[2]]) == (len(out_of_band), len(filled_by_plan))
    for secret in out_of_band:
        created = [
            index
            for index, block in enumerate(shell_blocks())
            for line in block.splitlines()
            if f"gcloud secrets create {secret} " in line and "--data-file=-" in line
        ]
        assert created, f"the runbook never gives {secret} its value"
        assert enable < created[0] < dry_run, f"{secret} must hold its value before the plan runs"

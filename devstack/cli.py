"""novavms-events: the local stack's command line (dev, token, keys, load, publish, dead-letters, seed,
export, scheduled-export, indexes).

The commands use the running local stack (make dev): the one serving --stack-port when given; else
the one of NOVAVMS_DEVSTACK_DIR when that is set; else the one of .devstack/, or the only one
running under another NOVAVMS_DEVSTACK_DIR. Variables already set (FIRESTORE_EMULATOR_HOST, ...)
win over the stack's."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, BinaryIO

from devstack.stackenv import (
    ROOT,
    STATE_DIR,
    apply_dev_environment,
    clear_state,
    explicit_project_defaulted,
    live_stacks,
    own_stack,
    write_state,
)

if TYPE_CHECKING:
    from devstack.loader import LoadReport

INDEXES_FILE = ROOT / "deploy" / "firestore.indexes.json"
DEV_TOKEN_TTL = 12 * 3600
NEEDS_STORE = frozenset({"load", "seed", "export", "scheduled-export", "keys"})
NEEDS_PUBSUB = frozenset({"publish", "dead-letters"})
SHOWN_ERRORS = 10  # a load prints at most this many rejected lines
KEY_COLUMNS = ("ID", "ROLE", "KEY", "STATE", "SITES", "NAME")
SITE_SCOPED = ("viewer", "ingest")
API_LOAD_RETRIES = 5  # a bulk load waits out the ingest budget's 429s longer than a single call
DEAD_LETTER_COLUMNS = ("PUBLISHED", "REASON", "ORIGINAL_ID", "DETAIL", "DATA")


class _Refused(Exception):
    """A command line that cannot work; its message is printed as is (exit 2)."""


def _key_sites(role: str, given: str | None, what: str) -> list[str] | None:
    """Only viewers and ingest keys are site-scoped: a viewer needs sites (uuids), an ingest key may
    name some (it then writes only events of those sites), other roles take none."""
    from shared.ids import canonical_uuid

    sites = [site.strip() for site in (given or "").split(",") if site.strip()]
    if role not in SITE_SCOPED:
        if given is not None:
            scoped = "viewers" if what == "token" else "viewers and ingest keys"  # a token is never ingest
            raise _Refused(f"only {scoped} are site-scoped: a {role} sees every site; drop --sites")
        return None
    if role == "viewer" and not sites:
        raise _Refused(f"a viewer {what} needs --sites SITE_ID[,...]: a viewer sees only its sites")
    if given is not None and not sites:
        raise _Refused("--sites takes site uuids, comma-separated")
    if any(canonical_uuid(site) is None for site in sites):
        raise _Refused("--sites takes site uuids, comma-separated")
    return sites or None


def _token(args: argparse.Namespace) -> int:
    sites = _key_sites(args.role, args.sites, "token")
    print(_mint(args.role, args.org, sites, sub=args.sub, ttl=args.ttl))
    return 0


def _keys(args: argparse.Namespace) -> int:
    """API keys of an org: create (prints the key, once), list, revoke."""
    from shared.api.shapes import key_view
    from shared.edge.api_keys import issue_key
    from shared.model.actor import Actor
    from shared.model.errors import NotFoundError
    from shared.store.api_keys import ApiKeys

    store, by = ApiKeys(), Actor.user("cli")
    if args.keys_command == "create":
        sites = _key_sites(args.role, args.sites, "key")
        name = args.name or f"{args.role} key (cli)"
        record, secret = issue_key(
            args.org, name, args.role, tuple(sorted(set(sites))) if sites else None, None, by
        )
        store.create(record, {"kind": "key", "key": key_view(record)}, None)
        print(
            f"created key {record.key_id} ({args.role}) for org {args.org}; it is shown only now:",
            file=sys.stderr,
        )
        print(secret)
    elif args.keys_command == "list":
        rows: list[tuple[str, ...]] = []
        for record in store.of_org(args.org):
            view = key_view(record)
            state = f"revoked {view['revoked_at']}" if view["revoked_at"] else "active"
            reach = ",".join(view["site_ids"] or []) or "every site"
            rows.append((view["id"], view["role"], f"...{view['last4']}", state, reach, str(view["name"])))
        print(_table(KEY_COLUMNS, rows))
    else:
        try:
            store.revoke(args.org, args.key_id, by, None)
        except NotFoundError:
            print(f"{args.key_id} is not a key of org {args.org}", file=sys.stderr)
            return 1
        print(f"revoked {args.key_id}")
    return 0


def _load(args: argparse.Namespace) -> int:
    """Load JSON Lines into the org's store (``--org``), or through the ingest API (``--api``)."""
    if args.api is None and args.org is None:
        raise _Refused("load needs --org ORG (write to the store), or --api URL with an ingest key")
    if args.api is not None and args.org is not None:
        raise _Refused("with --api the key names the org: drop --org")
    try:
        stream: BinaryIO = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    with stream:
        bar = _progress(None, " lines")
        progress = bar.update if bar is not None else lambda _: None
        try:
            report = _load_api(args, stream, progress) if args.api else _load_store(args, stream, progress)
        finally:
            if bar is not None:
                bar.close()
    for number, message in report.errors[:SHOWN_ERRORS]:
        print(f"line {number}: {message[:300]}", file=sys.stderr)
    if report.failure is not None:
        print(f"the API stopped the load: {report.failure}", file=sys.stderr)
    summary = report.summary()
    if report.stopped:
        summary += f"; stopped: {args.file} is not JSON Lines (one JSON event a line)"
    elif len(report.errors) > SHOWN_ERRORS:
        summary += f"; the first {SHOWN_ERRORS} are shown"
    print(summary)
    return 1 if report.errors or report.failure is not None else 0


def _load_store(args: argparse.Namespace, stream: BinaryIO, progress: Callable[[int], None]) -> LoadReport:
    from devstack.loader import load_lines
    from shared.model.scope import Scope
    from shared.store.events import EventStore

    return load_lines(EventStore(Scope(args.org)), stream, progress, give_up_after=SHOWN_ERRORS)


def _load_api(args: argparse.Namespace, stream: BinaryIO, progress: Callable[[int], None]) -> LoadReport:
    """The load through the ingest API at ``--api`` with ``--key`` (else ``NOVAVMS_API_KEY``)."""
    import novavms

    from devstack.loader import load_through_api

    try:
        client = novavms.Client(api_key=args.key, base_url=args.api, max_retries=API_LOAD_RETRIES)
    except novavms.NovaVMSError as missing:
        raise _Refused("load --api needs an API key: --key KEY, or set NOVAVMS_API_KEY") from missing
    with client:
        return load_through_api(client.events, stream, progress, give_up_after=SHOWN_ERRORS)


def _publish(args: argparse.Namespace) -> int:
    """Publish JSON Lines to the ingest topic (one message a line, or --batch N events a message)."""
    from devstack.pubsub import publish_lines
    from shared.config import settings

    config = settings()
    try:
        stream: BinaryIO = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    with stream:
        ids = publish_lines(config.project or "", config.ingest_topic, stream, args.org, args.batch)
    for message_id in ids:
        print(message_id)
    print(f"published {len(ids)} messages to {config.ingest_topic}", file=sys.stderr)
    return 0


def _dead_letters(args: argparse.Namespace) -> int:
    """What the ingest rejected for an org: reason, original message id, a preview of the data."""
    from devstack.pubsub import read_dead_letters
    from shared.config import settings

    config = settings()
    letters = read_dead_letters(config.project or "", config.ingest_topic, args.org, args.limit, args.ack)
    if args.json:
        for letter in letters:
            print(json.dumps(letter.view(args.preview)))
        return 0
    if not letters:
        print(f"no dead letters for org {args.org}", file=sys.stderr)
        return 0
    rows = [
        (
            view["published"],
            view["reason"],
            view["original_message_id"] or "-",
            _clipped(view["detail"], 80),
            _clipped(view["data"], args.preview),
        )
        for view in (letter.view(args.preview) for letter in letters)
    ]
    print(_table(DEAD_LETTER_COLUMNS, rows))
    what = "acknowledged (removed)" if args.ack else "left in the inbox (--ack removes them)"
    print(f"{len(letters)} dead letters of org {args.org}, {what}", file=sys.stderr)
    return 0


def _clipped(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _export(args: argparse.Namespace) -> int:
    from shared.api.query import parse_list_query
    from shared.config import settings
    from shared.edge.errors import api_error
    from shared.exports.export import plan_export, write_export
    from shared.exports.objects import on_demand_export
    from shared.model.scope import Scope
    from shared.store.events import EventStore

    output = Path(args.output or f"events-{args.org}.csv")
    if not output.parent.is_dir():
        raise _Refused(f"cannot write {output}: the folder {output.parent} does not exist")
    params: dict[str, list[str]] = {}
    for name, value in _pairs(args.filter):
        params.setdefault(name, []).append(value)
    try:
        query = parse_list_query(params, default_limit=None)
        cap = args.max_rows or settings().export_max_rows
        plan = plan_export(EventStore(Scope(args.org)), query.filter, None, query.limit, cap)
    except Exception as raised:
        if (error := api_error(raised)) is None:
            raise
        print(f"{error.code}: {error.message}", file=sys.stderr)
        return 2
    try:
        file = output.open("wb")
    except OSError as exc:
        raise _Refused(f"cannot write {output}: {exc.strerror}") from exc
    target = on_demand_export(args.org, "cli")
    bar = _progress(plan.rows, " rows")
    with file:
        for chunk in write_export(
            plan, target.name, target.metadata, bar.update if bar is not None else lambda _: None
        ):
            file.write(chunk)
    if bar is not None:
        bar.close()
    print(f"wrote {plan.rows} rows to {output} and {target.url}")
    return 0


def _progress(total: int | None, unit: str) -> Any:
    """A progress bar on stderr when it is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    size = shutil.get_terminal_size()  # falls back to 80x24 where the terminal reports 0x0
    return tqdm(total=total, unit=unit, file=sys.stderr, ncols=size.columns, nrows=size.lines)


def _scheduled_export(args: argparse.Namespace) -> int:
    """One scheduled export job, through the real function and its OIDC check (a local key)."""
    from devstack.scheduler import run_locally

    body: dict[str, Any] = {"org_id": args.org}
    body.update(_pairs(args.filter))
    status, answer, logs = run_locally(body)
    if status == 200:
        print(
            f"exported {answer['rows']} rows of org {answer['org_id']} ({answer['date_from']} to "
            f"{answer['date_to']}) to {answer['object']}"
        )
        return 0
    error = answer if isinstance(answer, dict) else {}
    print(
        f"scheduled export failed: {status} {error.get('error', 'error')}: {error.get('message', answer)}",
        file=sys.stderr,
    )
    if status >= 500:  # a fault of the function: its log says what (the request id is in both)
        sys.stderr.write(logs)
    return 1


def _seed(args: argparse.Namespace) -> int:
    from devstack.seed import seed

    live = seed(args.org, args.count, operator_demo=True)
    print(f"seeded {live} events into org {args.org} (and one dismissed, in the trash)")
    return 0


def _reindex(args: argparse.Namespace) -> int:
    from shared.model.scope import Scope
    from shared.store.events import EventStore

    read, rewritten = EventStore(Scope(args.org)).reindex_terms()
    print(f"read {read} events of org {args.org}; wrote the search terms of {rewritten}")
    return 0


def _indexes(args: argparse.Namespace) -> int:
    from shared.store.indexes import INDEX_BUDGET, index_file, parse_indexes, query_shapes, served

    content = index_file()
    text = json.dumps(content, indent=2) + "\n"
    if args.check:
        if INDEXES_FILE.read_text() != text:
            print(f"{INDEXES_FILE} is stale: run novavms-events indexes", file=sys.stderr)
            return 1
        declared = parse_indexes(content["indexes"])
        unserved = [shape for shape in query_shapes() if not served(shape, declared)]
        for shape in unserved:
            print(f"no declared index serves {shape}, whole or merged", file=sys.stderr)
        if len(declared) > INDEX_BUDGET:
            print(f"{len(declared)} composite indexes, over the budget of {INDEX_BUDGET}", file=sys.stderr)
            return 1
        if unserved:
            return 1
        print(f"{INDEXES_FILE.name}: in step, {len(declared)} composite indexes of {INDEX_BUDGET}")
        return 0
    INDEXES_FILE.write_text(text)
    print(
        f"wrote {len(content['indexes'])} indexes and {len(content['fieldOverrides'])} field overrides"
        f" to {INDEXES_FILE}"
    )
    return 0


def _dev(args: argparse.Namespace) -> int:
    from devstack.emulators import Emulators
    from devstack.gateway import gateway_server
    from devstack.pubsub import Delivery, ensure_topology
    from devstack.seed import DEMO_ORG, SITES, seed
    from devstack.tasks import TaskRunner
    from devstack.tokens import write_signing_key

    running = own_stack()
    if running is not None:
        print(
            f"a local stack is already running (pid {running['pid']}, port {running.get('port')}, state in "
            f"{STATE_DIR}): stop it, or run another beside it with its own state and port, e.g. "
            "NOVAVMS_DEVSTACK_DIR=/tmp/stack2 make dev PORT=9000",
            file=sys.stderr,
        )
        return 2
    if args.port and not _port_free(args.port):
        print(f"port {args.port} is in use: choose another with make dev PORT=<port>", file=sys.stderr)
        return 2
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    emulators = Emulators.start(log_dir=STATE_DIR, pubsub=True)
    delivery: Delivery | None = None
    try:
        os.environ.update({k: v for k, v in emulators.environment().items() if not os.environ.get(k)})
        apply_dev_environment()
        from shared.config import settings

        config = settings()
        if config.signing_key_file:
            write_signing_key(Path(config.signing_key_file), config.project or "novavms-dev")
        live = seed(DEMO_ORG, operator_demo=True)
        print(f"seeded {live} demo events into org {DEMO_ORG!r} (and one dismissed, in the trash)")
        project, topic = config.project or "novavms-dev", config.ingest_topic
        ensure_topology(project, topic)
        delivery = Delivery(project, topic).start()
        server = gateway_server(args.port)
        port = server.server_port  # the one asked for, or a free one for --port 0
        runner = TaskRunner().start()  # webhook deliveries and their sweeper, as Cloud Tasks would
        env = {name: os.environ[name] for name in sorted(os.environ) if name.startswith(("EVENT", "GOOGLE_"))}
        env.update(emulators.environment())
        write_state(env, port)

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        base = f"http://127.0.0.1:{port}"
        print(f"\nNovaVMS Events is serving at {base}  (OpenAPI: {base}/openapi.json)")
        print(f"Firestore emulator {emulators.firestore_host}, storage emulator {emulators.storage_host}")
        print(
            f"Pub/Sub emulator {emulators.pubsub_host}: topic {topic} delivers to ingest_pubsub "
            f"(novavms-events publish --org {DEMO_ORG} FILE; novavms-events dead-letters --org {DEMO_ORG})\n"
        )
        targets = "http loopback URLs allowed" if config.webhook_allow_loopback else "public https URLs only"
        print(f"Webhooks: delivered by a local task runner ({runner.url}); {targets}\n")
        print(f"Demo org {DEMO_ORG!r}, sites: {', '.join(SITES)}")
        print(f"The viewer token sees the first two sites: {', '.join(SITES[:2])}")
        expires = (datetime.now(UTC) + timedelta(seconds=DEV_TOKEN_TTL)).strftime("%Y-%m-%d %H:%M UTC")
        hours = DEV_TOKEN_TTL // 3600
        print(f"Tokens are valid for {hours} hours (until {expires}); more with `novavms-events token`.\n")
        tokens = {}
        for role in ("viewer", "operator", "admin"):
            sites = SITES[:2] if role == "viewer" else None
            tokens[role] = _mint(role, DEMO_ORG, sites, sub=f"demo-{role}", ttl=DEV_TOKEN_TTL)
            print(f"{role:8} token: {tokens[role]}\n")
        print(
            f'Try:\n  curl -H "Authorization: Bearer {tokens["operator"]}" "{base}/api/v1/events?limit=2"\n'
        )
        print("Ctrl-C stops the gateway and the emulators it started.", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nstopping")
        finally:
            server.server_close()
            runner.stop()
    finally:
        clear_state()
        if delivery is not None:
            delivery.stop()
        emulators.stop()
    return 0


def _port_free(port: int) -> bool:
    """Whether the gateway could listen on ``port`` of 127.0.0.1 now."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _mint(
    role: str, org: str, sites: list[str] | None, sub: str | None = None, ttl: int = DEV_TOKEN_TTL
) -> str:
    """A token the local stack accepts (HS256 under its dev secret)."""
    from devstack.tokens import stack_token

    return stack_token(org, role, sub=sub, site_ids=sites, ttl=ttl)


def _table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """``rows`` under a header row, each column as wide as its widest cell (the last one free)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows, strict=True)]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [columns, *rows]
    )


def _filter_option(command: argparse.ArgumentParser, help: str) -> None:
    command.add_argument("--filter", action="append", default=[], metavar="NAME=VALUE", help=help)


def _pairs(given: list[str]) -> list[tuple[str, str]]:
    """``NAME=VALUE`` options as (name, value) pairs."""
    return [(name, value) for name, _, value in (pair.partition("=") for pair in given)]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="novavms-events", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    root.add_argument(
        "--stack-port",
        type=_port,
        metavar="PORT",
        help="use the running local stack serving this port (default: see above)",
    )
    commands = root.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run the whole stack locally (emulators, demo data, gateway)")
    dev.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "8080")), help="0: any free port (printed)"
    )
    dev.set_defaults(run=_dev)

    token = commands.add_parser("token", help="print a token the local stack accepts")
    token.add_argument("--org", required=True, type=_org)
    token.add_argument("--role", required=True, choices=["viewer", "operator", "admin"])
    token.add_argument("--sub", help="user id (default: a random one)")
    token.add_argument("--sites", help="viewers only, required: comma-separated site uuids")
    token.add_argument("--ttl", type=int, default=3600, help="seconds; negative gives an expired token")
    token.set_defaults(run=_token)

    keys = commands.add_parser("keys", help="API keys of an org: create, list, revoke")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="create a key and print it (shown only this once)")
    create.add_argument("--org", required=True, type=_org)
    create.add_argument("--role", required=True, choices=["viewer", "operator", "admin", "ingest"])
    create.add_argument(
        "--sites", help="comma-separated site uuids: required for viewers, optional for ingest keys"
    )
    create.add_argument("--name", help="what the key is for")
    listing = key_commands.add_parser("list", help="the org's keys (never their secrets)")
    listing.add_argument("--org", required=True, type=_org)
    revoke = key_commands.add_parser("revoke", help="revoke a key of the org")
    revoke.add_argument("--org", required=True, type=_org)
    revoke.add_argument("key_id", type=_key_id)
    keys.set_defaults(run=_keys)

    load = commands.add_parser("load", help="bulk-load events from JSON Lines ('-' for stdin)")
    load.add_argument("--org", type=_org, help="write into this org's store (no --api)")
    load.add_argument(
        "--api",
        type=_api_url,
        metavar="URL",
        help="load through the ingest API at this gateway (500 events a request; the server validates)",
    )
    load.add_argument(
        "--key",
        metavar="KEY",
        help="with --api: an ingest (or admin) API key; default NOVAVMS_API_KEY, which keeps it out of ps",
    )
    load.add_argument("file")
    load.set_defaults(run=_load)

    publish = commands.add_parser(
        "publish", help="publish events (JSON Lines, '-' for stdin) to the ingest topic (Pub/Sub)"
    )
    publish.add_argument("--org", required=True, type=_org, help="the messages' org_id attribute")
    publish.add_argument(
        "--batch",
        type=_batch_size,
        metavar="N",
        help='N events a message, as {"events": [...]} (default: one message a line, as it is)',
    )
    publish.add_argument("file")
    publish.set_defaults(run=_publish)

    dead = commands.add_parser("dead-letters", help="what the Pub/Sub ingest rejected, and why")
    dead.add_argument("--org", required=True, type=_org)
    dead.add_argument("--limit", type=_positive, default=100, metavar="N", help="at most N (default 100)")
    dead.add_argument("--preview", type=_positive, default=120, metavar="CHARS", help="of the data")
    dead.add_argument("--ack", action="store_true", help="remove the ones shown from the inbox")
    dead.add_argument("--json", action="store_true", help="one JSON object a line")
    dead.set_defaults(run=_dead_letters)

    seed = commands.add_parser("seed", help="load the demo data that make dev loads")
    seed.add_argument("--org", default="demo", type=_org)
    seed.add_argument("--count", type=int, default=200)
    seed.set_defaults(run=_seed)

    export = commands.add_parser("export", help="export events to a CSV file (and the export bucket)")
    export.add_argument("--org", required=True, type=_org)
    _filter_option(export, "a list filter, e.g. trigger_type=ai_tag")
    export.add_argument("--output", help="file to write, in a folder that exists (default: events-ORG.csv)")
    export.add_argument(
        "--max-rows",
        type=_positive,
        metavar="N",
        help="a cap, not a limit: when more than N events match, nothing is exported (narrow the "
        "filter, or take the first N with --filter limit=N); default: EVENT_EXPORT_MAX_ROWS",
    )
    export.set_defaults(run=_export)

    scheduled = commands.add_parser(
        "scheduled-export", help="run a scheduled export job as Cloud Scheduler would (OIDC, locally)"
    )
    scheduled.add_argument("--org", required=True, type=_org)
    _filter_option(
        scheduled, "a job field: date_from, date_to (both or neither; default yesterday), a filter"
    )
    scheduled.set_defaults(run=_scheduled_export)

    reindex = commands.add_parser(
        "reindex", help="write the search terms of an org's events stored before search existed"
    )
    reindex.add_argument("--org", required=True, type=_org)
    reindex.set_defaults(run=_reindex)

    indexes = commands.add_parser("indexes", help="write deploy/firestore.indexes.json from the store")
    indexes.add_argument("--check", action="store_true", help="fail when the file is stale")
    indexes.set_defaults(run=_indexes)
    return root


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError("a whole number of 1 or more")
    return int(value)


def _batch_size(value: str) -> int:
    from shared.api.ingest import MAX_EVENTS

    if not value.isdigit() or not 1 <= int(value) <= MAX_EVENTS:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_EVENTS}")
    return int(value)


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError("a port, 1 to 65535")
    return int(value)


def _api_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise argparse.ArgumentTypeError("the gateway's URL, e.g. http://127.0.0.1:8080")
    return value


def _key_id(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{6,}", value):
        raise argparse.ArgumentTypeError("a key id is 6 or more letters, digits, '_' or '-'")
    return value


def _org(value: str) -> str:
    from shared.ids import valid_org_id

    if not valid_org_id(value):
        raise argparse.ArgumentTypeError("an org id is 1-128 letters, digits, '_' or '-'")
    return value


def _running_ports() -> str:
    ports = [str(state["port"]) for state in live_stacks()]
    return f" (running: {', '.join(ports)})" if ports else ""


def _store_missing() -> str | None:
    """Why the commands that touch data cannot run here, or None: they need a running local stack
    (its emulators), an emulator named by ``FIRESTORE_EMULATOR_HOST``, or a Google Cloud project the
    user named explicitly (never real credentials by default)."""
    host = os.environ.get("FIRESTORE_EMULATOR_HOST")
    if not host:
        if os.environ.get("GOOGLE_CLOUD_PROJECT") and not explicit_project_defaulted():
            return None
        if not os.environ.get("NOVAVMS_DEVSTACK_DIR") and len(live_stacks()) > 1:
            return "several local stacks are running: choose one with --stack-port PORT" + _running_ports()
        return (
            "no running local stack found: start one with `make dev` (or set FIRESTORE_EMULATOR_HOST, "
            "or GOOGLE_CLOUD_PROJECT to use that Google Cloud project)"
        )
    return _silent("Firestore", host)


def _silent(emulator: str, host: str) -> str | None:
    """Why ``emulator`` at ``host`` (``HOST:PORT``) cannot be used (it does not answer), or None."""
    try:
        with socket.create_connection(tuple(host.rsplit(":", 1)), timeout=2):  # type: ignore[arg-type]
            return None
    except (OSError, ValueError):
        return f"the {emulator} emulator at {host} does not answer: is the local stack still running?"


def _pubsub_missing() -> str | None:
    """Why the Pub/Sub commands cannot run here, or None: they need the Pub/Sub emulator of a running
    local stack (or ``PUBSUB_EMULATOR_HOST``), or a Google Cloud project the user named explicitly."""
    from shared.config import settings

    host = settings().pubsub_emulator_host
    if not host:
        if os.environ.get("GOOGLE_CLOUD_PROJECT") and not explicit_project_defaulted():
            return None
        return (
            "no Pub/Sub emulator found: start the local stack with `make dev` (or set PUBSUB_EMULATOR_HOST, "
            "or GOOGLE_CLOUD_PROJECT to use that Google Cloud project's topic)"
        )
    return _silent("Pub/Sub", host)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command != "dev":
        if args.stack_port is not None and not any(s["port"] == args.stack_port for s in live_stacks()):
            print(f"no running local stack serves port {args.stack_port}{_running_ports()}", file=sys.stderr)
            return 2
        apply_dev_environment(args.stack_port)
    if args.command in NEEDS_PUBSUB and (problem := _pubsub_missing()):
        print(f"novavms-events {args.command}: {problem}", file=sys.stderr)
        return 2
    through_api = getattr(args, "api", None) is not None
    if args.command in NEEDS_STORE and not through_api and (problem := _store_missing()):
        print(f"novavms-events {args.command}: {problem}", file=sys.stderr)
        return 2
    try:
        code: int = args.run(args)
    except _Refused as refused:
        print(str(refused), file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())

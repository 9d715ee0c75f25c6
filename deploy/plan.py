"""Every step of a tenant's deployment, as the shell commands that run it.

``steps(tenant)`` is the whole deployment in order: APIs, service accounts, secrets, Firestore
(database, point-in-time recovery, backups, indexes, field overrides with the idempotency records'
TTL policy, and rules), buckets, least-privilege IAM, one gen2 function per verb (on the runtime of
the Python the tests run on, see deploy/runtime.py), API Gateway, the Cloud Scheduler job and the
Pub/Sub ingest (its topics, the publisher's account, the function its topic triggers with retries,
and the dead-letter policy of the trigger's subscription). Every
step is idempotent (describe, then create or update), so a deployment can be re-run.
``python -m deploy --dry-run`` prints exactly these lines; without it they run under
``bash -euo pipefail``.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from deploy.gateway_config import function_url
from deploy.tenants import Tenant, check_tenant_runtime
from shared.edge.routes import FUNCTIONS
from shared.pubsub.dead_letter import dead_letters_subscription, dead_topic

SCHEDULED = "scheduled_export"
PUBSUB_INGEST = "ingest_pubsub"  # triggered by the tenant's ingest topic, not routed by the gateway
EVENT_FUNCTIONS = (PUBSUB_INGEST,)
ALL_FUNCTIONS = (*FUNCTIONS, *EVENT_FUNCTIONS)
# The trigger's subscription: Eventarc's retry policy (exponential backoff) and, after this many
# failed deliveries (a long outage, an org over its ingest budget for long), Pub/Sub's own dead letter.
MAX_DELIVERY_ATTEMPTS = 10
RETRY_DELAYS = ("10s", "600s")
DEAD_LETTER_RETENTION = "7d"
DELIVER = "deliver_webhook"  # called by Cloud Tasks, with the tasks account's OIDC token
SWEEP = "sweep_webhooks"  # called by Cloud Scheduler every minute
STREAM = "stream_events"  # the live event stream: long requests, many at once per instance
SECRETS = {  # environment variable -> secret name (suffix)
    "EVENTS_CURSOR_KEY": "cursor-key",
    # Keys the API keys' checksums (a forged key is refused without a store read); changing it
    # invalidates every key.
    "EVENTS_API_KEY_SECRET": "api-key-secret",
    "EVENTS_JWT_ISSUER": "jwt-issuer",
    "EVENTS_JWT_AUDIENCE": "jwt-audience",
    "EVENTS_JWT_JWKS_URL": "jwt-jwks-url",
    # The media URL signer's HMAC key (see the signer step of ``steps``; rotation in docs/deploying.md).
    "EVENTS_SIGNING_HMAC_ACCESS_ID": "signing-hmac-access-id",
    "EVENTS_SIGNING_HMAC_SECRET": "signing-hmac-secret",
    # Encrypts the webhook endpoints' signing secrets at rest (made once, like the API key secret).
    "EVENTS_WEBHOOK_SECRET_KEY": "webhook-secret-key",
    # The media uploader's HMAC key (signs upload URLs): given to create_upload_urls only.
    "EVENTS_UPLOAD_HMAC_ACCESS_ID": "upload-hmac-access-id",
    "EVENTS_UPLOAD_HMAC_SECRET": "upload-hmac-secret",
}
UPLOADS = "create_upload_urls"
SECRETS_OF_ONE = {  # a secret only one function gets (every other secret goes to every function)
    "EVENTS_UPLOAD_HMAC_ACCESS_ID": UPLOADS,
    "EVENTS_UPLOAD_HMAC_SECRET": UPLOADS,
}
APIS = (
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
    "firestore.googleapis.com",
    "apigateway.googleapis.com",
    "servicemanagement.googleapis.com",
    "servicecontrol.googleapis.com",
    "cloudscheduler.googleapis.com",
    "secretmanager.googleapis.com",
    "iamcredentials.googleapis.com",
    "storage.googleapis.com",
    "pubsub.googleapis.com",
    "eventarc.googleapis.com",
    "cloudtasks.googleapis.com",
)


@dataclass(frozen=True)
class Resources:
    """Memory and timeout of a function."""

    memory: str
    timeout_seconds: int
    concurrency: int | None = None  # requests one instance serves at once (None: the platform's default)
    cpu: str | None = None
    max_instances: int | None = None  # its own cap (None: the tenant's max_instances)


RESOURCES = {
    "list_events": Resources("512Mi", 60),
    "get_event": Resources("512Mi", 60),
    "update_event": Resources("512Mi", 60),
    "delete_event": Resources("256Mi", 60),
    "export_events": Resources("1Gi", 900),
    SCHEDULED: Resources("1Gi", 3600),
    "api_docs": Resources("256Mi", 30),
    "create_key": Resources("256Mi", 60),
    "list_keys": Resources("256Mi", 60),
    "revoke_key": Resources("256Mi", 60),
    "list_deleted_events": Resources("512Mi", 60),
    "restore_event": Resources("512Mi", 60),
    "get_event_history": Resources("256Mi", 60),
    UPLOADS: Resources("256Mi", 30),
    "list_changes": Resources("512Mi", 60),
    # A batch is at most EVENTS_BATCH_MAX_EVENTS events (about 1.4 s at the measured 700 events/s):
    # well within the 60 s every mutating function has (the idempotency lock outlives it).
    "batch_update_events": Resources("512Mi", 60),
    "batch_delete_events": Resources("512Mi", 60),
    # The ingest API: a batch body is up to EVENTS_INGEST_MAX_BODY_BYTES (10 MiB), parsed whole
    # (several times its size in memory) and at most 500 events written in four concurrent chunks.
    "upsert_event": Resources("512Mi", 60),
    "ingest_events": Resources("1Gi", 60),
    # A message is at most 500 events (Pub/Sub's 10 MB), written like an ingest batch.
    PUBSUB_INGEST: Resources("1Gi", 60),
    "create_webhook_endpoint": Resources("256Mi", 60),
    "list_webhook_endpoints": Resources("256Mi", 60),
    "get_webhook_endpoint": Resources("256Mi", 60),
    "update_webhook_endpoint": Resources("256Mi", 60),
    "delete_webhook_endpoint": Resources("256Mi", 60),
    "test_webhook_endpoint": Resources("256Mi", 60),
    # One attempt: at most EVENTS_WEBHOOK_TIMEOUT_SECONDS (15, at most 60) of sending, and two
    # transactions around it.
    DELIVER: Resources("256Mi", 120),
    SWEEP: Resources("256Mi", 120),
    # The event stream: an open stream holds a request for up to EVENTS_STREAM_MAX_SECONDS (3300 s),
    # mostly idle, so one instance serves 80 at once (a thread each: THREADS) under the 60-minute
    # limit; at most EVENTS_STREAM_MAX_PER_ORG (50) per org, so a few instances are the cap.
    STREAM: Resources("512Mi", 3600, concurrency=80, cpu="1", max_instances=4),
    "create_stream_ticket": Resources("256Mi", 60),
}


def build_dir(tenant: Tenant) -> str:
    return f"build/{tenant.name}"


def _q(*argv: str) -> str:
    return shlex.join(argv)


def _bucket_role(bucket: str, account: str, role: str, project: str) -> str:
    """Grant a service account a role on one bucket (and nothing else)."""
    return _q(
        "gcloud",
        "storage",
        "buckets",
        "add-iam-policy-binding",
        f"gs://{bucket}",
        f"--member=serviceAccount:{account}",
        f"--role={role}",
        project,
    )


def _ensure(describe: str, create: str) -> str:
    """Create what ``describe`` does not find."""
    return f"{describe} >/dev/null 2>&1 || {create}"


def _upsert(describe: str, update: str, create: str) -> str:
    """Update what ``describe`` finds, else create it."""
    return f"if {describe} >/dev/null 2>&1; then {update}; else {create}; fi"


def _hmac_key_once(tenant: Tenant, account: str, access_id_variable: str, secret_variable: str) -> str:
    """Make ``account``'s HMAC key once (only while the secret of ``secret_variable`` has no version)
    and put both halves into the secrets of the two variables."""
    p = f"--project={tenant.project}"
    access_id_secret = tenant.secret(SECRETS[access_id_variable])
    hmac_secret = tenant.secret(SECRETS[secret_variable])
    return (
        _q("gcloud", "secrets", "versions", "describe", "latest", f"--secret={hmac_secret}", p)
        + " >/dev/null 2>&1 || { read -r HMAC_ACCESS_ID HMAC_SECRET < <("
        + _q("gcloud", "storage", "hmac", "create", account, "--format=value(metadata.accessId,secret)", p)
        + ') && printf %s "$HMAC_ACCESS_ID" | '
        + _q("gcloud", "secrets", "versions", "add", access_id_secret, "--data-file=-", p)
        + ' && printf %s "$HMAC_SECRET" | '
        + _q("gcloud", "secrets", "versions", "add", hmac_secret, "--data-file=-", p)
        + "; }"
    )


def secrets_of(function: str) -> dict[str, str]:
    """The secrets a function gets (environment variable -> secret name suffix)."""
    return {var: name for var, name in SECRETS.items() if SECRETS_OF_ONE.get(var, function) == function}


def webhook_queue(tenant: Tenant) -> str:
    """The tenant's Cloud Tasks queue of webhook delivery attempts (its full name)."""
    return f"projects/{tenant.project}/locations/{tenant.region}/queues/{tenant.prefix}-webhooks"


def environment(tenant: Tenant, function: str) -> dict[str, str]:
    """Plain environment variables of a deployed function (secrets come from Secret Manager). Never
    ``EVENTS_WEBHOOK_ALLOW_LOOPBACK``: a deployment sends webhooks to public https URLs only."""
    env = {
        "GOOGLE_CLOUD_PROJECT": tenant.project,
        "EVENTS_FIRESTORE_DATABASE": tenant.database,
        "EVENTS_PINNED_ORG": tenant.org_id,
        "EVENTS_MEDIA_BUCKET": tenant.media_bucket,
        "EVENTS_EXPORT_BUCKET": tenant.export_bucket,
        "EVENT_EXPORT_MAX_ROWS": str(tenant.export_max_rows),
        "EVENTS_API_KEY_PREFIX": "sk_live_",  # a deployment refuses dev and test stacks' sk_test_ keys
        "EVENTS_URL_SIGNER": "hmac",  # media URLs signed locally; "iam" (signBlob) is the fallback
        # Every function that commits a change enqueues its webhook deliveries as Cloud Tasks.
        "EVENTS_WEBHOOK_QUEUE": webhook_queue(tenant),
        "EVENTS_WEBHOOK_DELIVER_URL": function_url(
            tenant.region, tenant.project, tenant.function_name(DELIVER)
        ),
        "EVENTS_WEBHOOK_TASKS_ACCOUNT": tenant.account("tasks"),
    }
    if function in (DELIVER, SWEEP):
        url = function_url(tenant.region, tenant.project, tenant.function_name(function))
        env.update(
            EVENTS_SCHEDULER_SERVICE_ACCOUNT=tenant.account("tasks" if function == DELIVER else "sched"),
            EVENTS_SCHEDULER_AUDIENCE=url,
            # As for the scheduled export: Cloud Run verified the token; the claims are checked.
            EVENTS_SCHEDULER_VERIFY_SIGNATURE="false",
        )
    elif function == SCHEDULED:
        url = function_url(tenant.region, tenant.project, tenant.function_name(SCHEDULED))
        env.update(
            EVENTS_SCHEDULER_SERVICE_ACCOUNT=tenant.account("sched"),
            EVENTS_SCHEDULER_AUDIENCE=url,
            # Cloud Run has verified the OIDC token and IAM admitted only the scheduler's account,
            # but it strips the signature: the function checks the claims without it.
            EVENTS_SCHEDULER_VERIFY_SIGNATURE="false",
            EVENTS_SCHEDULED_EXPORT_MAX_ROWS=str(tenant.scheduled_export_max_rows),
        )
    elif function == PUBSUB_INGEST:
        env.update(EVENTS_INGEST_TOPIC=tenant.ingest_topic)
    else:
        env.update(EVENTS_FORWARDED_AUTH="true", EVENTS_CORS_ORIGINS=",".join(tenant.cors_origins))
    if function == STREAM:  # functions-framework's gunicorn threads: one per concurrent stream
        env.update(THREADS=str(RESOURCES[STREAM].concurrency))
    return env


def function_deploy(tenant: Tenant, function: str) -> str:
    """``gcloud functions deploy`` of one function of the tenant (on the project's Python only)."""
    check_tenant_runtime(tenant)
    resources = RESOURCES[function]
    env = environment(tenant, function)
    if function == PUBSUB_INGEST:  # Eventarc pushes the topic's messages (messagePublished), retried
        trigger = [
            f"--trigger-topic={tenant.ingest_topic}",
            "--retry",
            f"--trigger-service-account={tenant.account('trigger')}",
            "--no-allow-unauthenticated",
            "--ingress-settings=internal-only",
        ]
    else:
        trigger = ["--trigger-http", "--no-allow-unauthenticated", "--ingress-settings=all"]
    return _q(
        "gcloud",
        "functions",
        "deploy",
        tenant.function_name(function),
        "--gen2",
        f"--project={tenant.project}",
        f"--region={tenant.region}",
        f"--runtime={tenant.runtime}",
        f"--source={build_dir(tenant)}/bundles/{function}",
        f"--entry-point={function}",
        *trigger,
        f"--service-account={tenant.account('fn')}",
        f"--memory={resources.memory}",
        f"--timeout={resources.timeout_seconds}s",
        *([f"--concurrency={resources.concurrency}"] if resources.concurrency else []),
        *([f"--cpu={resources.cpu}"] if resources.cpu else []),
        f"--min-instances={tenant.min_instances}",
        f"--max-instances={resources.max_instances or tenant.max_instances}",
        "--set-env-vars=^|^" + "|".join(f"{k}={v}" for k, v in env.items()),
        "--set-secrets="
        + ",".join(f"{var}={tenant.secret(name)}:latest" for var, name in secrets_of(function).items()),
    )


def steps(tenant: Tenant) -> list[str]:
    """The tenant's whole deployment, in order, one shell line per step; TenantError (before any
    step) when the tenant's runtime is not the project's Python."""
    check_tenant_runtime(tenant)
    p = f"--project={tenant.project}"
    build = build_dir(tenant)
    fn, gw, sched = tenant.account("fn"), tenant.account("gw"), tenant.account("sched")
    db = tenant.database
    lines = [
        f"# NovaVMS Events: tenant {tenant.name} (org {tenant.org_id}) in {tenant.project}/{tenant.region}"
    ]
    lines.append(_q("gcloud", "services", "enable", *APIS, p))

    lines.append(
        "# Service accounts: the functions', the gateway's (invokes API functions), the scheduler's,"
        " the media URL signer's, the media uploader's, the Pub/Sub ingest trigger's, the pipeline's"
        " publisher, the webhook tasks'"
    )
    for role, title in (
        ("fn", "functions"),
        ("gw", "API Gateway"),
        ("sched", "Cloud Scheduler"),
        ("signer", "media URL signer (reads the media bucket only)"),
        ("upload", "media uploader (creates objects in the media bucket only)"),
        ("trigger", "Pub/Sub ingest trigger (invokes ingest_pubsub)"),
        ("pub", "pipeline publisher (publishes to the ingest topic only)"),
        ("tasks", "Cloud Tasks webhook deliveries (invokes deliver_webhook only)"),
    ):
        lines.append(
            _ensure(
                _q("gcloud", "iam", "service-accounts", "describe", tenant.account(role), p),
                _q(
                    "gcloud",
                    "iam",
                    "service-accounts",
                    "create",
                    f"{tenant.prefix}-{role}",
                    f"--display-name=NovaVMS Events {tenant.name} {title}",
                    p,
                ),
            )
        )

    lines.append("# Secrets (values are added out of band: gcloud secrets versions add NAME --data-file=-)")
    for name in SECRETS.values():
        secret = tenant.secret(name)
        lines.append(
            _ensure(
                _q("gcloud", "secrets", "describe", secret, p),
                _q("gcloud", "secrets", "create", secret, "--replication-policy=automatic", p),
            )
        )
        lines.append(
            _q(
                "gcloud",
                "secrets",
                "add-iam-policy-binding",
                secret,
                f"--member=serviceAccount:{fn}",
                "--role=roles/secretmanager.secretAccessor",
                p,
            )
        )

    key_secret = tenant.secret(SECRETS["EVENTS_API_KEY_SECRET"])
    lines.append(
        "# The API keys' checksum secret: made once, 32 random bytes (a new version would invalidate"
        " every API key)"
    )
    lines.append(
        _ensure(
            _q("gcloud", "secrets", "versions", "describe", "latest", f"--secret={key_secret}", p),
            "head -c 32 /dev/urandom | base64 | tr -d '\\n' | "
            + _q("gcloud", "secrets", "versions", "add", key_secret, "--data-file=-", p),
        )
    )

    webhook_secret = tenant.secret(SECRETS["EVENTS_WEBHOOK_SECRET_KEY"])
    lines.append(
        "# The webhook secrets' encryption key: made once, 32 random bytes (a new version would make"
        " every endpoint's stored secret unreadable)"
    )
    lines.append(
        _ensure(
            _q("gcloud", "secrets", "versions", "describe", "latest", f"--secret={webhook_secret}", p),
            "head -c 32 /dev/urandom | base64 | tr -d '\\n' | "
            + _q("gcloud", "secrets", "versions", "add", webhook_secret, "--data-file=-", p),
        )
    )

    lines.append(
        "# Rendered files: bundles, API Gateway config, Firestore indexes and rules, bucket policies"
    )
    access = ("gcloud", "secrets", "versions", "access", "latest")
    lines.append(
        " && ".join(
            f"{variable}=$({_q(*access, f'--secret={tenant.secret(name)}', p)})"
            for variable, name in (
                ("JWT_ISSUER", "jwt-issuer"),
                ("JWT_JWKS_URL", "jwt-jwks-url"),
                ("JWT_AUDIENCE", "jwt-audience"),
            )
        )
    )
    lines.append(
        _q("python3", "-m", "deploy", "render", f"--tenant={tenant.name}", f"--out={build}")
        + ' --jwt-issuer="$JWT_ISSUER" --jwt-jwks-url="$JWT_JWKS_URL" --jwt-audience="$JWT_AUDIENCE"'
    )

    lines.append(
        "# Firestore: database, point-in-time recovery, daily backups, indexes and field overrides"
        " (the idempotency records' TTL on expires_at), deny-all rules"
    )
    lines.append(
        _ensure(
            _q("gcloud", "firestore", "databases", "describe", f"--database={db}", p),
            _q(
                "gcloud",
                "firestore",
                "databases",
                "create",
                f"--database={db}",
                f"--location={tenant.region}",
                "--type=firestore-native",
                p,
            ),
        )
    )
    lines.append(_q("gcloud", "firestore", "databases", "update", f"--database={db}", "--enable-pitr", p))
    lines.append(
        _q(
            "gcloud",
            "firestore",
            "backups",
            "schedules",
            "list",
            f"--database={db}",
            "--format=value(name)",
            p,
        )
        + " | grep -q . || "
        + _q(
            "gcloud",
            "firestore",
            "backups",
            "schedules",
            "create",
            f"--database={db}",
            "--recurrence=daily",
            f"--retention={tenant.backup_retention}",
            p,
        )
    )
    lines.append(
        _q(
            "firebase",
            "deploy",
            "--only=firestore",
            f"--project={tenant.project}",
            f"--config={build}/firebase/firebase.json",
            "--non-interactive",
        )
    )

    lines.append("# Buckets: exports (with a lifecycle rule), media (CORS for signed URLs in browsers)")
    lines.append(
        _ensure(
            _q("gcloud", "storage", "buckets", "describe", f"gs://{tenant.export_bucket}", p),
            _q(
                "gcloud",
                "storage",
                "buckets",
                "create",
                f"gs://{tenant.export_bucket}",
                f"--location={tenant.region}",
                "--uniform-bucket-level-access",
                "--public-access-prevention",
                p,
            ),
        )
    )
    lines.append(
        _q(
            "gcloud",
            "storage",
            "buckets",
            "update",
            f"gs://{tenant.export_bucket}",
            f"--lifecycle-file={build}/export-lifecycle.json",
            p,
        )
    )
    lines.append(
        _q(
            "gcloud",
            "storage",
            "buckets",
            "update",
            f"gs://{tenant.media_bucket}",
            f"--cors-file={build}/media-cors.json",
            p,
        )
    )

    lines.append("# IAM, least privilege")
    firestore_role = ["--role=roles/datastore.user"]
    if db != "(default)":
        condition = f'resource.name=="projects/{tenant.project}/databases/{db}"'
        firestore_role.append(f"--condition=expression={condition},title=events-{tenant.name}-database")
    lines.append(
        _q(
            "gcloud",
            "projects",
            "add-iam-policy-binding",
            tenant.project,
            f"--member=serviceAccount:{fn}",
            *firestore_role,
        )
    )
    lines.append(_bucket_role(tenant.media_bucket, fn, "roles/storage.objectViewer", p))
    lines.append(_bucket_role(tenant.export_bucket, fn, "roles/storage.objectUser", p))
    signer = tenant.account("signer")
    lines.append(
        "# A signed URL carries its signer's rights: media URLs are signed with an HMAC key of the signer"
        " account, which may only read the media bucket; its key is made once and kept in Secret Manager"
    )
    lines.append(_bucket_role(tenant.media_bucket, signer, "roles/storage.objectViewer", p))
    lines.append(
        _hmac_key_once(tenant, signer, "EVENTS_SIGNING_HMAC_ACCESS_ID", "EVENTS_SIGNING_HMAC_SECRET")
    )
    uploader = tenant.account("upload")
    lines.append(
        "# Upload URLs are signed with an HMAC key of the uploader account, which may only create objects"
        f" in the media bucket; its key is made once and kept in Secret Manager, given to {UPLOADS} only"
    )
    lines.append(_bucket_role(tenant.media_bucket, uploader, "roles/storage.objectCreator", p))
    lines.append(
        _hmac_key_once(tenant, uploader, "EVENTS_UPLOAD_HMAC_ACCESS_ID", "EVENTS_UPLOAD_HMAC_SECRET")
    )
    lines.append(
        "# The fallback signer (EVENTS_URL_SIGNER=iam): the functions sign with signBlob as themselves only"
    )
    lines.append(
        _q(
            "gcloud",
            "iam",
            "service-accounts",
            "add-iam-policy-binding",
            fn,
            f"--member=serviceAccount:{fn}",
            "--role=roles/iam.serviceAccountTokenCreator",
            p,
        )
    )

    tasks = tenant.account("tasks")
    queue = f"{tenant.prefix}-webhooks"
    lines.append(
        "# Cloud Tasks: the tenant's queue of webhook delivery attempts (the functions retry on their own"
        " schedule; the queue retries only a call that failed); the functions may enqueue, as the tasks'"
        " account (which may invoke deliver_webhook only)"
    )
    queue_args = [
        f"--location={tenant.region}",
        "--max-attempts=5",
        "--min-backoff=5s",
        "--max-concurrent-dispatches=200",
        "--max-dispatches-per-second=100",
        p,
    ]
    lines.append(
        _upsert(
            _q("gcloud", "tasks", "queues", "describe", queue, f"--location={tenant.region}", p),
            _q("gcloud", "tasks", "queues", "update", queue, *queue_args),
            _q("gcloud", "tasks", "queues", "create", queue, *queue_args),
        )
    )
    lines.append(
        _q(
            "gcloud",
            "tasks",
            "queues",
            "add-iam-policy-binding",
            queue,
            f"--location={tenant.region}",
            f"--member=serviceAccount:{fn}",
            "--role=roles/cloudtasks.enqueuer",
            p,
        )
    )
    lines.append(
        _q(
            "gcloud",
            "iam",
            "service-accounts",
            "add-iam-policy-binding",
            tasks,
            f"--member=serviceAccount:{fn}",
            "--role=roles/iam.serviceAccountUser",
            p,
        )
    )

    lines.append("# Functions, one per verb, and who may invoke them")
    for function in FUNCTIONS:
        lines.append(function_deploy(tenant, function))
        invoker = {SCHEDULED: sched, SWEEP: sched, DELIVER: tenant.account("tasks")}.get(function, gw)
        lines.append(
            _q(
                "gcloud",
                "functions",
                "add-invoker-policy-binding",
                tenant.function_name(function),
                f"--region={tenant.region}",
                f"--member=serviceAccount:{invoker}",
                p,
            )
        )

    lines.append("# API Gateway: the API, a config named by its content, the gateway")
    api = f"{tenant.prefix}-api"
    config = f"$(cat {build}/gateway-config-id)"
    lines.append(
        _ensure(
            _q("gcloud", "api-gateway", "apis", "describe", api, p),
            _q("gcloud", "api-gateway", "apis", "create", api, p),
        )
    )
    lines.append(
        _ensure(
            f"gcloud api-gateway api-configs describe {config} --api={api} {p}",
            f"gcloud api-gateway api-configs create {config} --api={api} "
            + _q(f"--openapi-spec={build}/gateway.json", f"--backend-auth-service-account={gw}", p),
        )
    )
    gateway = f"{tenant.prefix}-gateway"
    gateway_args = [f"--api={api}", f"--api-config={config}", f"--location={tenant.region}", p]
    lines.append(
        _upsert(
            _q("gcloud", "api-gateway", "gateways", "describe", gateway, f"--location={tenant.region}", p),
            _q("gcloud", "api-gateway", "gateways", "update", gateway, *gateway_args),
            # Streaming (the event stream's SSE) is a preview setting of the gateway, given at creation
            # only (the alpha command's --enable-streaming; an update keeps it).
            _q(
                "gcloud",
                "alpha",
                "api-gateway",
                "gateways",
                "create",
                gateway,
                *gateway_args,
                "--enable-streaming",
            ),
        ).replace(shlex.quote(f"--api-config={config}"), f"--api-config={config}")
    )

    lines.append("# Cloud Scheduler: the nightly export (OIDC as the scheduler's account)")
    job = f"{tenant.prefix}-nightly-export"
    url = function_url(tenant.region, tenant.project, tenant.function_name(SCHEDULED))
    job_args = [
        f"--location={tenant.region}",
        f"--schedule={tenant.schedule}",
        f"--time-zone={tenant.time_zone}",
        f"--uri={url}",
        "--http-method=POST",
        f"--oidc-service-account-email={sched}",
        f"--oidc-token-audience={url}",
        "--attempt-deadline=1800s",
        f"--message-body={json.dumps({'org_id': tenant.org_id})}",
        p,
    ]
    headers = "Content-Type=application/json"
    lines.append(
        _upsert(
            _q("gcloud", "scheduler", "jobs", "describe", job, f"--location={tenant.region}", p),
            _q(
                "gcloud", "scheduler", "jobs", "update", "http", job, *job_args, f"--update-headers={headers}"
            ),
            _q("gcloud", "scheduler", "jobs", "create", "http", job, *job_args, f"--headers={headers}"),
        )
    )

    lines.append("# Cloud Scheduler: the webhook sweeper, every minute (OIDC as the scheduler's account)")
    sweeper = f"{tenant.prefix}-webhook-sweeper"
    sweep_url = function_url(tenant.region, tenant.project, tenant.function_name(SWEEP))
    sweep_args = [
        f"--location={tenant.region}",
        "--schedule=* * * * *",
        "--time-zone=Etc/UTC",
        f"--uri={sweep_url}",
        "--http-method=POST",
        f"--oidc-service-account-email={sched}",
        f"--oidc-token-audience={sweep_url}",
        "--attempt-deadline=120s",
        "--message-body={}",
        p,
    ]
    lines.append(
        _upsert(
            _q("gcloud", "scheduler", "jobs", "describe", sweeper, f"--location={tenant.region}", p),
            _q(
                "gcloud",
                "scheduler",
                "jobs",
                "update",
                "http",
                sweeper,
                *sweep_args,
                f"--update-headers={headers}",
            ),
            _q("gcloud", "scheduler", "jobs", "create", "http", sweeper, *sweep_args, f"--headers={headers}"),
        )
    )
    lines += pubsub_ingest(tenant)
    return lines


def pubsub_ingest(tenant: Tenant) -> list[str]:
    """The Pub/Sub ingest's steps: both topics, the dead letters' inbox, the publisher's and the
    function's rights, the function its topic triggers (retries on), the dead-letter policy of the
    trigger's subscription with the Pub/Sub service agent's rights it needs, and how to publish."""
    p = f"--project={tenant.project}"
    region = f"--region={tenant.region}"
    topic, dead = tenant.ingest_topic, dead_topic(tenant.ingest_topic)
    inbox = dead_letters_subscription(tenant.ingest_topic)
    function = tenant.function_name(PUBSUB_INGEST)
    lines = [
        f"# Pub/Sub ingest: the topic {topic} triggers {PUBSUB_INGEST} (retries on), what it rejects goes to"
        f" {dead}, a named publisher account may publish"
    ]
    for name in (topic, dead):
        lines.append(
            _ensure(
                _q("gcloud", "pubsub", "topics", "describe", name, p),
                _q("gcloud", "pubsub", "topics", "create", name, p),
            )
        )
    lines.append(
        _ensure(
            _q("gcloud", "pubsub", "subscriptions", "describe", inbox, p),
            _q(
                "gcloud",
                "pubsub",
                "subscriptions",
                "create",
                inbox,
                f"--topic={dead}",
                f"--message-retention-duration={DEAD_LETTER_RETENTION}",
                "--ack-deadline=60",
                p,
            ),
        )
    )
    for name, account in ((topic, tenant.account("pub")), (dead, tenant.account("fn"))):
        lines.append(
            _q(
                "gcloud",
                "pubsub",
                "topics",
                "add-iam-policy-binding",
                name,
                f"--member=serviceAccount:{account}",
                "--role=roles/pubsub.publisher",
                p,
            )
        )
    lines.append(function_deploy(tenant, PUBSUB_INGEST))
    lines.append(
        _q(
            "gcloud",
            "functions",
            "add-invoker-policy-binding",
            function,
            region,
            f"--member=serviceAccount:{tenant.account('trigger')}",
            p,
        )
    )
    describe_trigger = _q(
        "gcloud", "functions", "describe", function, "--gen2", region,
        "--format=value(eventTrigger.trigger)", p,
    )  # fmt: skip
    lines.append(
        f'TRIGGER_SUBSCRIPTION=$(gcloud eventarc triggers describe "$({describe_trigger})" '
        + _q(f"--location={tenant.region}", "--format=value(transport.pubsub.subscription)", p)
        + ")"
        + f' && PUBSUB_AGENT="service-$({_q("gcloud", "projects", "describe", tenant.project)}'
        + " --format='value(projectNumber)')@gcp-sa-pubsub.iam.gserviceaccount.com\""
    )
    lines.append(
        'gcloud pubsub subscriptions update "$TRIGGER_SUBSCRIPTION" '
        + _q(
            f"--dead-letter-topic={dead}",
            f"--max-delivery-attempts={MAX_DELIVERY_ATTEMPTS}",
            f"--min-retry-delay={RETRY_DELAYS[0]}",
            f"--max-retry-delay={RETRY_DELAYS[1]}",
            p,
        )
    )
    lines.append(
        _q("gcloud", "pubsub", "topics", "add-iam-policy-binding", dead)
        + ' --member="serviceAccount:$PUBSUB_AGENT" '
        + _q("--role=roles/pubsub.publisher", p)
    )
    lines.append(
        'gcloud pubsub subscriptions add-iam-policy-binding "$TRIGGER_SUBSCRIPTION"'
        + ' --member="serviceAccount:$PUBSUB_AGENT" '
        + _q("--role=roles/pubsub.subscriber", p)
    )
    publish = _q(
        "gcloud", "pubsub", "topics", "publish", topic, "--message=EVENT_JSON",
        f"--attribute=org_id={tenant.org_id}", f"--impersonate-service-account={tenant.account('pub')}", p,
    )  # fmt: skip
    lines.append(
        "echo "
        + shlex.quote(
            f"Publish events as {tenant.account('pub')} (publisher on {topic} only), one event or"
            f" an events list of up to 500 a message: {publish}; what was rejected, and why:"
            f" gcloud pubsub subscriptions pull {inbox} --limit=10 {p}"
        )
    )
    return lines

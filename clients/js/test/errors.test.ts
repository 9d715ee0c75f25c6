/** Each error of the contract as its own class under NovaVMSError, from the real stack where it can give it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import NovaVMS, {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  ConflictError,
  InternalServerError,
  MethodNotAllowedError,
  NotFoundError,
  NovaVMSError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
  type EventListParams,
  type EventUpdateParams,
} from "novavms";
import { clientFor, needsStack, newOrg, setEnv } from "./stack.js";
import { envelope, startStub, type Action } from "./stub.js";

/** The error a promise rejects with, checked to be an APIError of `Class` with the contract's fields. */
async function apiError<T extends APIError>(promise: Promise<unknown>, Class: new (...args: never[]) => T, status: number, code: string): Promise<T> {
  const error = await promise.then(
    () => assert.fail(`expected ${Class.name}`),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof Class, `expected ${Class.name}, got ${String(error)}`);
  assert.ok(error instanceof APIError && error instanceof NovaVMSError && error instanceof Error);
  assert.equal(error.name, Class.name);
  assert.equal(error.status, status);
  assert.equal(error.code, code);
  assert.match(error.requestId ?? "", /^[\w.-]{8,}$/);
  assert.equal(error.requestId, error.headers.get("x-request-id"));
  assert.ok(error.message.length > 0);
  return error;
}

test("401 AuthenticationError", needsStack, async () => {
  const stack = await newOrg();
  const novavms = new NovaVMS({ apiKey: "sk_test_not_a_real_key_0000000000", baseUrl: stack.baseUrl });
  await apiError(novavms.events.list(), AuthenticationError, 401, "auth_required");
});

test("403 PermissionDeniedError", needsStack, async () => {
  const stack = await newOrg();
  const viewer = clientFor(stack, "viewer");
  await apiError(viewer.events.update(stack.exampleEventId, { starred: true }), PermissionDeniedError, 403, "forbidden");
  await apiError(viewer.events.list({ siteId: stack.sites[1]! }), PermissionDeniedError, 403, "forbidden");
  await apiError(clientFor(stack, "operator").events.delete(stack.exampleEventId), PermissionDeniedError, 403, "forbidden");
});

test("404 NotFoundError, also for another org's event", needsStack, async () => {
  const stack = await newOrg();
  await apiError(clientFor(stack).events.get("00000000-0000-4000-8000-000000000000"), NotFoundError, 404, "not_found");
  const other = new NovaVMS({ apiKey: stack.otherOrgToken, baseUrl: stack.baseUrl });
  await apiError(other.events.get(stack.exampleEventId), NotFoundError, 404, "not_found");
  await apiError(clientFor(stack, "admin").keys.revoke("nosuchkey0"), NotFoundError, 404, "not_found");
});

test("400 ValidationError with field details; values are not checked client-side", needsStack, async () => {
  const stack = await newOrg();
  const novavms = clientFor(stack);
  const limit = await apiError(novavms.events.list({ limit: 500 }), ValidationError, 400, "validation_error");
  assert.deepEqual(Object.keys(limit.fields), ["limit"]);
  const bad = { triggerType: "person", dateFrom: "yesterday" } as unknown as EventListParams;
  const several = await apiError(novavms.events.list(bad), ValidationError, 400, "validation_error");
  assert.ok("trigger_type" in several.fields && "date_from" in several.fields, JSON.stringify(several.fields));
  const unknown = { acknowledgedBy: "me" } as unknown as EventUpdateParams;
  const body = await apiError(novavms.events.update(stack.exampleEventId, unknown), ValidationError, 400, "validation_error");
  assert.ok("acknowledged_by" in body.fields, JSON.stringify(body.fields));
  await apiError(novavms.events.update(stack.exampleEventId, {}), ValidationError, 400, "validation_error");
});

test("413 PayloadTooLargeError: a body over the limit, an export over the cap", needsStack, async () => {
  const stack = await newOrg();
  const novavms = clientFor(stack);
  await apiError(novavms.events.update(stack.exampleEventId, { notes: "x".repeat(70_000) }), PayloadTooLargeError, 413, "payload_too_large");
  const restore = await setEnv({ EVENT_EXPORT_MAX_ROWS: "5" });
  try {
    await apiError(novavms.events.export({ dateFrom: "2026-04-01" }), PayloadTooLargeError, 413, "payload_too_large");
    const capped = await novavms.events.export({ dateFrom: "2026-04-01", limit: 5 });
    assert.equal(capped.trimEnd().split("\r\n").length, 6);
  } finally {
    await restore();
  }
});

test("429 RateLimitError with retryAfter, once the retries are spent", needsStack, async () => {
  const stack = await newOrg();
  const restore = await setEnv({ EVENTS_RATE_LIMIT_PER_MINUTE: "2" });
  try {
    const novavms = clientFor(stack, "operator", { maxRetries: 0 });
    await novavms.events.list();
    await novavms.events.list();
    const error = await apiError(novavms.events.list(), RateLimitError, 429, "rate_limited");
    assert.ok(error.retryAfter !== undefined && error.retryAfter > 0 && error.retryAfter <= 60, String(error.retryAfter));
  } finally {
    await restore();
  }
});

test("409, 500, 503, 405 and a non-JSON 502 from a stub upstream", needsStack, async () => {
  const stack = await newOrg();
  const answers: Action[] = [
    { answer: 409, body: envelope("conflict") },
    { answer: 500, body: envelope("internal") },
    { answer: 503, headers: { "Retry-After": "7" }, body: envelope("unavailable") },
    { answer: 405, headers: { Allow: "GET" }, body: envelope("method_not_allowed") },
    { answer: 502, body: "<html>Bad gateway</html>" },
  ];
  const stub = await startStub(stack.baseUrl, (n) => answers[n]);
  try {
    const novavms = new NovaVMS({ apiKey: stack.tokens.admin, baseUrl: stub.url, maxRetries: 0 });
    const conflict = await apiError(novavms.events.update(stack.exampleEventId, { starred: true }), ConflictError, 409, "conflict");
    assert.equal(conflict.requestId, "stub-conflict");
    await apiError(novavms.events.get(stack.exampleEventId), InternalServerError, 500, "internal");
    const unavailable = await apiError(novavms.events.list(), ServiceUnavailableError, 503, "unavailable");
    assert.equal(unavailable.retryAfter, 7);
    await apiError(novavms.keys.list(), MethodNotAllowedError, 405, "method_not_allowed");
    const bad = await apiError(novavms.events.list(), InternalServerError, 502, "http_502");
    assert.equal(bad.body, "<html>Bad gateway</html>");
    assert.equal(stub.seen.length, 5);
  } finally {
    await stub.close();
  }
});

test("APIConnectionError when nothing answers, APITimeoutError when too slow, APIUserAbortError on abort", needsStack, async () => {
  const stack = await newOrg();
  const refused = new NovaVMS({ apiKey: stack.tokens.viewer, baseUrl: "http://127.0.0.1:9", maxRetries: 0 });
  const connection = await refused.events.list().then(() => assert.fail("expected an error"), (e: unknown) => e);
  assert.ok(connection instanceof APIConnectionError && !(connection instanceof APITimeoutError), String(connection));
  assert.equal(connection.status, undefined);
  assert.ok(connection instanceof NovaVMSError);

  const stub = await startStub(stack.baseUrl, () => ({ hang: true }));
  try {
    const slow = new NovaVMS({ apiKey: stack.tokens.viewer, baseUrl: stub.url, timeout: 200, maxRetries: 1 });
    const started = Date.now();
    const timeout = await slow.events.list().then(() => assert.fail("expected an error"), (e: unknown) => e);
    assert.ok(timeout instanceof APITimeoutError && timeout instanceof APIConnectionError, String(timeout));
    assert.equal(stub.seen.length, 2, "a timeout is retried");
    assert.ok(Date.now() - started >= 400);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await slow.events.get(stack.exampleEventId, { signal: controller.signal, timeout: 10_000 }).then(() => assert.fail("expected an error"), (e: unknown) => e);
    assert.ok(aborted instanceof APIUserAbortError, String(aborted));
    assert.equal(stub.seen.length, 3, "an abort is not retried");
    const already = await slow.events.list({}, { signal: AbortSignal.abort() }).then(() => assert.fail("expected an error"), (e: unknown) => e);
    assert.ok(already instanceof APIUserAbortError);
    assert.equal(stub.seen.length, 3);
  } finally {
    await stub.close();
  }
});

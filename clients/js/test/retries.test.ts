/**
 * Retries with backoff: 429 (Retry-After honoured), 409 in flight, 502/503/504 and network errors,
 * through a stub upstream in front of the real gateway. Every mutation carries one Idempotency-Key
 * across its retries, so a retry after a lost answer replays instead of changing twice.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import NovaVMS, { InternalServerError, ServiceUnavailableError } from "novavms";
import { needsStack, newOrg, type Stack } from "./stack.js";
import { envelope, startStub, type Action, type Stub } from "./stub.js";

async function withStub(stack: Stack, plan: (n: number) => Action | undefined, body: (novavms: NovaVMS, stub: Stub) => Promise<void>, maxRetries = 2): Promise<void> {
  const stub = await startStub(stack.baseUrl, plan);
  try {
    await body(new NovaVMS({ apiKey: stack.tokens.admin, baseUrl: stub.url, maxRetries }), stub);
  } finally {
    await stub.close();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("429 is retried after its Retry-After", needsStack, async () => {
  const stack = await newOrg();
  const plan = (n: number): Action | undefined => (n === 0 ? { answer: 429, headers: { "Retry-After": "1" }, body: envelope("rate_limited") } : undefined);
  await withStub(stack, plan, async (novavms, stub) => {
    const page = await novavms.events.list({ triggerType: "ai_tag", dateFrom: "2026-04-20" });
    assert.equal(page.data[0]?.id, stack.exampleEventId);
    assert.equal(stub.seen.length, 2);
    assert.equal(stub.seen[1]!.url, stub.seen[0]!.url);
    assert.ok(stub.seen[1]!.at - stub.seen[0]!.at >= 950, "waited the Retry-After second");
  });
});

test("an update whose answer was lost (503) is retried with the same Idempotency-Key and changes once", needsStack, async () => {
  const stack = await newOrg();
  const plan = (n: number): Action | undefined => (n === 0 ? { forwardThenAnswer: 503, headers: { "Retry-After": "1" }, body: envelope("unavailable") } : undefined);
  await withStub(stack, plan, async (novavms, stub) => {
    const updated = await novavms.events.update(stack.exampleEventId, { acknowledged: true, notes: "Confirmed courier, no action needed" });
    assert.equal(updated.acknowledged, true);
    assert.equal(stub.seen.length, 2);
    const [first, retry] = stub.seen;
    assert.match(String(first!.headers["idempotency-key"]), UUID);
    assert.equal(retry!.headers["idempotency-key"], first!.headers["idempotency-key"]);
    assert.equal(retry!.body, first!.body);
    assert.deepEqual(first!.upstream, { status: 200, replayed: undefined }, "the first attempt executed");
    assert.deepEqual(retry!.upstream, { status: 200, replayed: "true" }, "the retry replayed it: no second change");
    const stored = await novavms.events.get(stack.exampleEventId);
    assert.equal(stored.acknowledgedAt, updated.acknowledgedAt);
    assert.equal(stored.notes, "Confirmed courier, no action needed");
  });
});

test("a delete whose answer was lost (502) is retried and answers 204 again, not 404", needsStack, async () => {
  const stack = await newOrg();
  const plan = (n: number): Action | undefined => (n === 0 ? { forwardThenAnswer: 502, body: "bad gateway" } : undefined);
  await withStub(stack, plan, async (novavms, stub) => {
    await novavms.events.delete(stack.exampleEventId);
    assert.deepEqual(stub.seen.map((s) => s.upstream), [{ status: 204, replayed: undefined }, { status: 204, replayed: "true" }]);
    assert.equal(stub.seen[1]!.headers["idempotency-key"], stub.seen[0]!.headers["idempotency-key"]);
  });
});

test("409 in flight (with Retry-After) and 504 are retried; a network error too; the caller's key is kept", needsStack, async () => {
  const stack = await newOrg();
  const actions: (Action | undefined)[] = [
    { answer: 409, headers: { "Retry-After": "1" }, body: envelope("conflict") },
    { answer: 504, body: "gateway timeout" },
    { destroy: true },
  ];
  await withStub(stack, (n) => actions[n], async (novavms, stub) => {
    const updated = await novavms.events.update(stack.exampleEventId, { starred: true }, { idempotencyKey: "my-key-0001", maxRetries: 3 });
    assert.equal(updated.starred, true);
    assert.equal(stub.seen.length, 4);
    assert.ok(stub.seen.every((s) => s.headers["idempotency-key"] === "my-key-0001"));
  });
});

test("backoff grows from 0.5 s with jitter when there is no Retry-After; the last error is thrown", needsStack, async () => {
  const stack = await newOrg();
  await withStub(stack, () => ({ answer: 503, body: envelope("unavailable") }), async (novavms, stub) => {
    const error = await novavms.events.list().then(() => assert.fail("expected an error"), (e: unknown) => e);
    assert.ok(error instanceof ServiceUnavailableError);
    assert.equal(error.retryAfter, undefined);
    assert.equal(stub.seen.length, 3, "the first try and maxRetries (2) retries");
    const [a, b, c] = stub.seen.map((s) => s.at);
    assert.ok(b! - a! >= 350 && b! - a! < 1500, `first wait ${b! - a!} ms`);
    assert.ok(c! - b! >= 730 && c! - b! < 2500, `second wait ${c! - b!} ms`);
    await novavms.events.list({}, { maxRetries: 0 }).catch(() => undefined);
    assert.equal(stub.seen.length, 4, "maxRetries per call");
  });
});

test("500, 400, 401, 403, 404 and 409 without Retry-After are not retried", needsStack, async () => {
  const stack = await newOrg();
  const statuses = [500, 400, 401, 403, 404, 409];
  await withStub(stack, (n) => ({ answer: statuses[n] ?? 500, body: envelope("internal") }), async (novavms, stub) => {
    for (const _ of statuses) await novavms.events.get(stack.exampleEventId).catch((e: unknown) => assert.ok(e instanceof Error));
    assert.equal(stub.seen.length, statuses.length);
  });
});

test("only mutations carry an Idempotency-Key, a new one per call", needsStack, async () => {
  const stack = await newOrg();
  await withStub(stack, () => undefined, async (novavms, stub) => {
    await novavms.events.get(stack.exampleEventId);
    await novavms.events.update(stack.exampleEventId, { starred: true });
    await novavms.events.update(stack.exampleEventId, { starred: false });
    const key = await novavms.keys.create({ name: "bridge", role: "operator" });
    await novavms.keys.revoke(key.id);
    const keys = stub.seen.map((s) => s.headers["idempotency-key"]);
    assert.equal(keys[0], undefined);
    assert.equal(new Set(keys.slice(1)).size, 4);
    assert.ok(keys.slice(1).every((k) => UUID.test(String(k))));
    assert.ok(stub.seen.every((s) => s.headers["x-novavms-client"] === "novavms-js/0.1.0"));
    assert.match(String(stub.seen[0]!.headers["user-agent"]), /^novavms-js\/0\.1\.0 \(node\//);
  });
});

test("an abort during the backoff stops the retries", needsStack, async () => {
  const stack = await newOrg();
  await withStub(stack, () => ({ answer: 429, headers: { "Retry-After": "30" }, body: envelope("rate_limited") }), async (novavms, stub) => {
    const started = Date.now();
    const error = await novavms.events.list({}, { signal: AbortSignal.timeout(300) }).then(() => assert.fail("expected an error"), (e: unknown) => e);
    assert.equal((error as Error).name, "APIUserAbortError");
    assert.ok(Date.now() - started < 5000);
    assert.equal(stub.seen.length, 1);
  });
});

test("an error class is InternalServerError for 500 after no retry", needsStack, async () => {
  const stack = await newOrg();
  await withStub(stack, () => ({ answer: 500, body: envelope("internal") }), async (novavms) => {
    await assert.rejects(novavms.events.list(), InternalServerError);
  });
});

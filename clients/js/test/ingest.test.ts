/**
 * The way in for recording gateways, with an ingest key against the real stack: `upsert` (created,
 * unchanged, updated), `ingest` of any (async) iterable in requests of at most 500 merged into one
 * report in input order, `uploadMedia` for real against the storage emulator (the signed headers
 * only, never the API key), and the errors: a viewer's 403, the ingest budget's 429 after a first
 * request was written (`IngestIncompleteError`).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import NovaVMS, { IngestIncompleteError, PermissionDeniedError, RateLimitError, ValidationError, type EventInput } from "novavms";
import { needsStack, newOrg, setEnv, type Stack } from "./stack.js";

/** A new event of the stack's first site, `n` minutes before 2026-04-21T13:45:22Z. */
function eventOf(stack: Stack, n = 0, fields: Partial<EventInput> = {}): EventInput & { id: string } {
  return {
    id: randomUUID(),
    siteId: stack.sites[0]!,
    cameraId: "550e8400-e29b-41d4-a716-446655440000",
    cameraName: "Loading Dock East",
    triggerType: "ai_tag",
    triggeredAt: new Date(Date.UTC(2026, 3, 21, 13, 45 - n, 22)),
    summary: "Person carrying package approaches dock door",
    tags: ["person", "package"],
    aiStatus: "completed",
    ...fields,
  };
}

/** A client with a fresh ingest key of the stack's org, its requests recorded. */
async function gatewayOf(stack: Stack, options: { maxRetries?: number } = {}): Promise<{ gateway: NovaVMS; seen: Request[]; secret: string }> {
  const admin = new NovaVMS({ apiKey: stack.tokens.admin, baseUrl: stack.baseUrl });
  const key = await admin.keys.create({ name: "gateway", role: "ingest" });
  assert.equal(key.role, "ingest");
  const seen: Request[] = [];
  const recording: typeof fetch = async (input, init) => {
    seen.push(new Request(input, init));
    return fetch(input, init);
  };
  return { gateway: new NovaVMS({ apiKey: key.secret!, baseUrl: stack.baseUrl, fetch: recording, ...options }), seen, secret: key.secret! };
}

test("upsert creates, then leaves unchanged, then updates; a re-load keeps what operators did", needsStack, async () => {
  const stack = await newOrg();
  const { gateway } = await gatewayOf(stack);
  const { id, ...event } = eventOf(stack, 0, { aiStatus: "pending", summary: null, tags: [] });
  assert.deepEqual(await gateway.events.upsert(id, event), { id, status: "created" });
  assert.equal((await gateway.events.upsert(id, event)).status, "unchanged");
  const operator = new NovaVMS({ apiKey: stack.tokens.operator, baseUrl: stack.baseUrl });
  await operator.events.update(id, { acknowledged: true, notes: "seen" });
  const completed = { ...event, aiStatus: "completed" as const, narrative: "A courier at the dock.", tags: ["person"] };
  assert.equal((await gateway.events.upsert(id, completed)).status, "updated");
  const stored = await operator.events.get(id);
  assert.equal(stored.triggeredAt, "2026-04-21T13:45:22Z");
  assert.deepEqual([stored.aiStatus, stored.tags, stored.acknowledged, stored.notes], ["completed", ["person"], true, "seen"]);
});

test("ingest sends any iterable 500 a request and reports it as one, in input order", needsStack, async () => {
  const stack = await newOrg();
  const { gateway, seen } = await gatewayOf(stack);
  const events: EventInput[] = Array.from({ length: 1203 }, (_, n) => eventOf(stack, n % 600));
  const { id: _dropped, ...noId } = eventOf(stack, 1);
  events[1100] = noId;
  const bad = eventOf(stack, 2, { triggerType: "explosion" as EventInput["triggerType"] });
  events[7] = bad;
  events[8] = { ...events[9]! }; // the same id twice in one request: the later one wins
  function* lazily(): Generator<EventInput> {
    yield* events;
  }
  const result = await gateway.events.ingest(lazily(), { idempotencyKey: `bulk-${randomUUID()}` });
  const bodies = await Promise.all(seen.map(async (request) => JSON.parse(await request.text()) as { events: unknown[] }));
  assert.deepEqual(bodies.map((body) => body.events.length), [500, 500, 203]);
  const keys = seen.map((request) => request.headers.get("idempotency-key"));
  assert.deepEqual(keys.slice(1), [`${keys[0]}/1`, `${keys[0]}/2`]);
  assert.deepEqual([result.created, result.invalid, result.superseded, result.results.length], [1200, 2, 1, 1203]);
  assert.deepEqual(result.results[8], { id: events[9]!.id, status: "superseded", supersededBy: 9 });
  assert.equal(result.results[7]!.status, "invalid");
  assert.ok("trigger_type" in result.results[7]!.errors!, "errors are keyed by the API's field names, as sent");
  assert.deepEqual([result.results[1100]!.id, result.results[1100]!.index], [null, 1100]);
  await assert.rejects(gateway.events.ingest([]), (error) => error instanceof ValidationError && "events" in error.fields);
});

test("ingest takes an async iterable", needsStack, async () => {
  const stack = await newOrg();
  const { gateway } = await gatewayOf(stack);
  const events = Array.from({ length: 501 }, (_, n) => eventOf(stack, n));
  async function* arriving(): AsyncGenerator<EventInput> {
    for (const event of events) yield event;
  }
  const result = await gateway.events.ingest(arriving());
  assert.equal(result.created, 501);
  assert.deepEqual(result.results.map((item) => item.id), events.map((event) => event.id));
});

test("uploadMedia PUTs the bytes to storage with the signed headers only; the event then serves them", needsStack, async () => {
  const stack = await newOrg();
  const { gateway, seen, secret } = await gatewayOf(stack);
  const { id, ...event } = eventOf(stack);
  const snapshot = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(randomUUID())]);
  const clip = new Blob([new Uint8Array([0, 0, 0, 0x18]), "ftypmp42", randomUUID()], { type: "video/mp4" });

  const objects = await gateway.events.uploadMedia(id, { snapshot, clip });
  assert.ok(objects.snapshotObject?.startsWith(`uploads/${id}/`) && objects.clipObject?.startsWith(`uploads/${id}/`));
  const puts = seen.filter((request) => request.method === "PUT");
  assert.equal(puts.length, 2);
  for (const put of puts) {
    assert.equal(put.headers.get("authorization"), null, "storage never sees the API key");
    assert.ok(!JSON.stringify([...put.headers]).includes(secret));
    assert.match(put.headers.get("x-goog-content-length-range") ?? "", /^0,\d+$/);
  }
  assert.deepEqual(puts.map((put) => put.headers.get("content-type")).sort(), ["image/jpeg", "video/mp4"]);

  assert.equal((await gateway.events.upsert(id, { ...event, ...objects })).status, "created");
  const stored = await new NovaVMS({ apiKey: stack.tokens.admin, baseUrl: stack.baseUrl }).events.get(id);
  assert.deepEqual(new Uint8Array(await (await fetch(stored.snapshotUrl!)).arrayBuffer()), new Uint8Array(snapshot));
  assert.deepEqual(new Uint8Array(await (await fetch(stored.clipUrl!)).arrayBuffer()), new Uint8Array(await clip.arrayBuffer()));
  await assert.rejects(gateway.events.uploadMedia(id, {}), TypeError);
});

test("a viewer may not ingest; a budget spent after a first request says what was written", needsStack, async () => {
  const stack = await newOrg();
  const viewer = new NovaVMS({ apiKey: stack.tokens.viewer, baseUrl: stack.baseUrl });
  const event = eventOf(stack);
  await assert.rejects(viewer.events.upsert(event.id, event), PermissionDeniedError);
  await assert.rejects(viewer.events.ingest([event]), PermissionDeniedError);
  await assert.rejects(viewer.events.uploadUrls(event.id), PermissionDeniedError);

  const restore = await setEnv({ EVENTS_INGEST_RATE_LIMIT_PER_MINUTE: "600" });
  try {
    const { gateway } = await gatewayOf(stack, { maxRetries: 0 });
    const events = Array.from({ length: 1000 }, (_, n) => eventOf(stack, n));
    const stopped = await gateway.events.ingest(events).then(
      () => assert.fail("the second request is over the budget"),
      (error: unknown) => error,
    );
    assert.ok(stopped instanceof IngestIncompleteError, String(stopped));
    assert.ok(stopped.error instanceof RateLimitError && stopped.status === 429);
    assert.equal(stopped.sent, 500);
    assert.equal(stopped.result.created, 500);
  } finally {
    await restore();
  }
});

/**
 * The operator workflow against the real stack: the unacknowledged queue, batch updates and
 * dismissals (by ids and by filter), the trash and restore, and each event's history.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import NovaVMS, { CursorPage, NotFoundError, Page, ValidationError, type BatchUpdateParams } from "novavms";
import { clientFor, needsStack, newOrg, type Stack } from "./stack.js";
import { startStub, type Action } from "./stub.js";

const APRIL = { dateFrom: "2026-04-01", dateTo: "2026-04-21" } as const;
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

/** A client whose fetch records every request (URL, method and headers). */
function recordingClient(stack: Stack, role: keyof Stack["tokens"]): { novavms: NovaVMS; requests: Request[] } {
  const requests: Request[] = [];
  const recording: typeof fetch = (input, init) => {
    requests.push(new Request(String(input), { method: init?.method ?? "GET", headers: init?.headers ?? {} }));
    return fetch(input, init);
  };
  return { novavms: new NovaVMS({ apiKey: stack.tokens[role], baseUrl: stack.baseUrl, fetch: recording }), requests };
}

async function allIds(pages: AsyncIterable<{ id: string }>): Promise<string[]> {
  const ids: string[] = [];
  for await (const item of pages) ids.push(item.id);
  return ids;
}

test("acknowledged: false is the queue, true the acknowledged events (list and export)", needsStack, async () => {
  const stack = await newOrg();
  const operator = clientFor(stack);
  const [first, second] = (await operator.events.list({ limit: 2 })).data;
  assert.ok(first && second);
  await operator.events.update(first.id, { acknowledged: true });
  await operator.events.update(second.id, { acknowledged: true });

  const queue = await operator.events.list({ acknowledged: false, limit: 100 });
  assert.equal(queue.total, stack.eventCount - 2);
  assert.ok(queue.data.every((event) => !event.acknowledged));
  assert.ok(!queue.data.some((event) => event.id === first.id || event.id === second.id));

  const done = await operator.events.list({ acknowledged: true, limit: 1 });
  assert.equal(done.total, 2);
  assert.deepEqual(await allIds(operator.events.list({ acknowledged: true, limit: 1 })), [first.id, second.id]);
  const csv = await operator.events.export({ acknowledged: true });
  assert.equal(csv.trimEnd().split("\r\n").length, 1 + 2);

  await assert.rejects(operator.events.list({ acknowledged: "no" as unknown as boolean }), (error: unknown) => {
    assert.ok(error instanceof ValidationError);
    assert.deepEqual(Object.keys(error.fields), ["acknowledged"]);
    return true;
  });
});

test("batchUpdate by filter changes every match, once", needsStack, async () => {
  const stack = await newOrg();
  const { novavms: operator, requests } = recordingClient(stack, "operator");
  const filter = { ...APRIL, triggerType: "ai_tag", acknowledged: false } as const;
  const matching = await allIds(operator.events.list({ ...filter, limit: 100 }));
  assert.ok(matching.length > 1);

  requests.length = 0;
  const result = await operator.events.batchUpdate({ filter, changes: { acknowledged: true, notes: "Storm; reviewed" } });
  assert.equal(result.matched, matching.length);
  assert.equal(result.changed, matching.length);
  assert.deepEqual(new Set(result.results.map((r) => r.id)), new Set(matching));
  assert.ok(result.results.every((r) => r.status === "changed"));

  const [request] = requests;
  assert.equal(requests.length, 1);
  assert.equal(request?.method, "POST");
  assert.equal(new URL(request.url).pathname, "/api/v1/events/batch-update");
  assert.match(request.headers.get("idempotency-key") ?? "", /^[0-9a-f-]{36}$/);

  const acknowledged = await operator.events.list({ ...APRIL, triggerType: "ai_tag", acknowledged: true, limit: 100 });
  assert.deepEqual(new Set(acknowledged.data.map((e) => e.id)), new Set(matching));
  const event = await operator.events.get(matching[0]!);
  assert.equal(event.notes, "Storm; reviewed");
  assert.equal(event.acknowledgedBy, "operator-user");

  const again = await operator.events.batchUpdate({ filter, changes: { acknowledged: true } });
  assert.deepEqual(again, { matched: 0, changed: 0, results: [] }, "the queue is empty for this filter now");
});

test("batchUpdate by ids reports each id: changed, unchanged, not_found", needsStack, async () => {
  const stack = await newOrg();
  const operator = clientFor(stack);
  const [a, b] = (await operator.events.list({ ...APRIL, limit: 100 })).data.filter((e) => !e.starred);
  assert.ok(a && b);
  await operator.events.update(b.id, { starred: true });

  const result = await operator.events.batchUpdate({ ids: [a.id, b.id, a.id, UNKNOWN_ID], changes: { starred: true } });
  assert.equal(result.matched, 2);
  assert.equal(result.changed, 1);
  assert.deepEqual(result.results, [
    { id: a.id, status: "changed" },
    { id: b.id, status: "unchanged" },
    { id: UNKNOWN_ID, status: "not_found" },
  ]);
  assert.equal((await operator.events.get(a.id)).starred, true);

  // One Idempotency-Key: the retry answers the first result and changes nothing.
  const options = { idempotencyKey: `unstar-${a.id}` };
  const first = await operator.events.batchUpdate({ ids: [a.id], changes: { starred: false } }, options);
  await operator.events.update(a.id, { starred: true });
  const replayed = await operator.events.batchUpdate({ ids: [a.id], changes: { starred: false } }, options);
  assert.deepEqual(replayed, first);
  assert.equal((await operator.events.get(a.id)).starred, true, "the replay wrote nothing");
});

test("batchDelete, then listDeleted walks the trash across pages; restore brings one back", needsStack, async () => {
  const stack = await newOrg();
  const { novavms: admin, requests } = recordingClient(stack, "admin");
  const filter = { ...APRIL, triggerType: "motion" } as const;
  const matching = await allIds(admin.events.list({ ...filter, limit: 100 }));
  assert.ok(matching.length > 3, "more than one trash page of 3");

  const result = await admin.events.batchDelete({ filter });
  assert.equal(result.changed, matching.length);
  assert.deepEqual(new Set(result.results.map((r) => r.id)), new Set(matching));
  assert.equal((await admin.events.list()).total, stack.eventCount - matching.length);
  const deletedAgain = await admin.events.batchDelete({ ids: [matching[0]!, UNKNOWN_ID] });
  assert.deepEqual(deletedAgain.results, [
    { id: matching[0], status: "unchanged" },
    { id: UNKNOWN_ID, status: "not_found" },
  ]);

  requests.length = 0;
  const page = await admin.events.listDeleted({ limit: 3 });
  assert.ok(page instanceof Page);
  assert.equal(page.total, matching.length);
  assert.equal(page.data.length, 3);
  const item = page.data[0]!;
  assert.equal(item.deletedBy, "admin-user");
  assert.match(item.deletedAt, /^\d{4}-\d\d-\d\dT.*Z$/);
  assert.equal(item.triggerType, "motion");
  assert.ok("snapshotUrl" in item && "cameraName" in item);

  requests.length = 0;
  const walked = await allIds(admin.events.listDeleted({ triggerType: "motion", limit: 3 }));
  assert.deepEqual(new Set(walked), new Set(matching));
  assert.equal(walked.length, matching.length);
  assert.equal(requests.length, Math.ceil(matching.length / 3), "one request per page");
  requests.forEach((request, n) => {
    const url = new URL(request.url);
    assert.equal(url.pathname, "/api/v1/events/deleted");
    assert.equal(url.searchParams.get("trigger_type"), "motion");
    assert.equal(url.searchParams.get("limit"), "3");
    assert.equal(url.searchParams.has("cursor"), n > 0);
  });
  await assert.rejects(admin.events.list({ limit: 3, cursor: page.nextCursor! }), ValidationError, "a trash cursor does not page the list");

  const restoredId = matching[0]!;
  requests.length = 0;
  const restored = await admin.events.restore(restoredId);
  assert.equal(restored.id, restoredId);
  assert.equal(restored.triggerType, "motion");
  assert.ok("prevEventId" in restored && "clipUrl" in restored, "the GET shape");
  assert.equal(requests[0]?.method, "POST");
  assert.ok(requests[0]?.headers.get("idempotency-key"));
  const listed = await allIds(admin.events.list({ ...filter, limit: 100 }));
  assert.deepEqual(listed, [restoredId]);
  assert.equal((await admin.events.listDeleted()).total, matching.length - 1);
  assert.equal((await admin.events.get(restoredId)).id, restoredId);
  assert.equal((await admin.events.restore(restoredId)).id, restoredId, "restoring a live event is a no-op");

  const operator = clientFor(stack);
  await assert.rejects(operator.events.listDeleted(), { name: "PermissionDeniedError", status: 403 });
  await assert.rejects(operator.events.batchDelete({ ids: [restoredId] }), { name: "PermissionDeniedError", status: 403 });
  await assert.rejects(admin.events.restore(UNKNOWN_ID), NotFoundError);
});

test("history is paged oldest first, its changes keyed as the API sends them", needsStack, async () => {
  const stack = await newOrg();
  const operator = clientFor(stack);
  const id = stack.exampleEventId;
  await operator.events.update(id, { acknowledged: true });
  await operator.events.update(id, { notes: "first" });
  await operator.events.batchUpdate({ ids: [id], changes: { notes: null } });

  const { novavms: viewer, requests } = recordingClient(stack, "viewer");
  const page = await viewer.events.history(id, { limit: 2 });
  assert.ok(page instanceof CursorPage && !(page instanceof Page));
  assert.equal(page.data.length, 2);
  assert.equal(typeof page.nextCursor, "string");
  const [acknowledged, noted] = page.data;
  assert.deepEqual(acknowledged?.by, { kind: "user", id: "operator-user" });
  assert.equal(acknowledged?.action, "update");
  assert.deepEqual(acknowledged?.changes["acknowledged"], { old: false, new: true });
  assert.deepEqual(acknowledged?.changes["acknowledged_by"], { old: null, new: "operator-user" });
  assert.match(String(acknowledged?.changes["acknowledged_at"]?.new), /Z$/);
  assert.ok(!("acknowledgedBy" in (acknowledged?.changes ?? {})), "data keys are not renamed");
  assert.deepEqual(noted?.changes, { notes: { old: null, new: "first" } });
  const last = await page.getNextPage();
  assert.deepEqual(last.data.map((e) => e.changes), [{ notes: { old: "first", new: null } }]);
  assert.equal(last.nextCursor, null);

  requests.length = 0;
  const entries = [];
  for await (const entry of viewer.events.history(id, { limit: 2 })) entries.push(entry);
  assert.deepEqual(entries, [...page.data, ...last.data]);
  assert.deepEqual(entries.map((e) => e.at), entries.map((e) => e.at).sort(), "oldest first");
  assert.equal(requests.length, 2);
  assert.equal(new URL(requests[0]!.url).pathname, `/api/v1/events/${id}/history`);
  assert.equal(new URL(requests[1]!.url).searchParams.get("cursor"), page.nextCursor);
  assert.equal(new URL(requests[1]!.url).searchParams.get("limit"), "2");
  assert.equal((await viewer.events.history(id)).data.length, 3, "the default page holds them all");
  await assert.rejects(viewer.events.history(id, { limit: 0 }), ValidationError);
});

test("a dismissed event's history is 404 for an operator and shown to an admin", needsStack, async () => {
  const stack = await newOrg();
  const id = stack.exampleEventId;
  const operator = clientFor(stack);
  const admin = clientFor(stack, "admin");
  await operator.events.update(id, { starred: true });
  await admin.events.batchDelete({ ids: [id] });

  await assert.rejects(operator.events.history(id), (error: unknown) => {
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.status, 404);
    assert.equal(error.code, "not_found");
    return true;
  });
  const entries = [];
  for await (const entry of admin.events.history(id)) entries.push(entry);
  assert.deepEqual(entries.map((e) => e.action), ["update", "delete"]);
  assert.deepEqual(entries[1]?.by, { kind: "user", id: "admin-user" });

  await admin.events.restore(id);
  const afterRestore = await operator.events.history(id);
  assert.deepEqual(afterRestore.data.map((e) => e.action), ["update", "delete", "restore"]);
});

test("a batch body with neither ids nor filter (or both) is a 400 ValidationError with fields", needsStack, async () => {
  const stack = await newOrg();
  const operator = clientFor(stack);
  const admin = clientFor(stack, "admin");
  const expectFields = (field: string) => (error: unknown) => {
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.code, "validation_error");
    assert.ok(field in error.fields, JSON.stringify(error.fields));
    return true;
  };
  const neither = { changes: { starred: true } } as unknown as BatchUpdateParams;
  await assert.rejects(operator.events.batchUpdate(neither), expectFields("ids"));
  await assert.rejects(admin.events.batchDelete({} as never), expectFields("ids"));
  await assert.rejects(
    // @ts-expect-error: exactly one of ids and filter
    operator.events.batchUpdate({ ids: [stack.exampleEventId], filter: { starred: true }, changes: { starred: true } }),
    expectFields("ids"),
  );
  await assert.rejects(operator.events.batchUpdate({ ids: [], changes: { starred: true } }), expectFields("ids"));
  await assert.rejects(operator.events.batchUpdate({ filter: {}, changes: { starred: true } }), expectFields("filter"));
  await assert.rejects(operator.events.batchUpdate({ ids: ["x"], changes: {} }), expectFields("changes.body"));
  assert.equal((await operator.events.get(stack.exampleEventId)).starred, false, "nothing written");
});

test("batchUpdate, batchDelete and restore whose answers were lost are retried with the same Idempotency-Key", needsStack, async () => {
  const stack = await newOrg();
  const lost = (n: number): Action | undefined => (n % 2 === 0 ? { forwardThenAnswer: 502, body: "bad gateway" } : undefined);
  const stub = await startStub(stack.baseUrl, lost);
  try {
    const admin = new NovaVMS({ apiKey: stack.tokens.admin, baseUrl: stub.url });
    const filter = { cameraId: "550e8400-e29b-41d4-a716-446655440000", dateFrom: "2026-04-01", dateTo: new Date("2026-04-21T23:59:59Z") };
    const updated = await admin.events.batchUpdate({ filter, changes: { acknowledged: true } });
    assert.ok(updated.changed > 0 && updated.changed === updated.matched);
    const deleted = await admin.events.batchDelete({ ids: [stack.exampleEventId] });
    assert.deepEqual(deleted.results, [{ id: stack.exampleEventId, status: "changed" }]);
    const restored = await admin.events.restore(stack.exampleEventId);
    assert.equal(restored.acknowledged, true);

    assert.equal(stub.seen.length, 6);
    for (let n = 0; n < 6; n += 2) {
      const [first, retry] = [stub.seen[n]!, stub.seen[n + 1]!];
      assert.equal(first.method, "POST");
      assert.match(String(first.headers["idempotency-key"]), /^[0-9a-f-]{36}$/);
      assert.equal(retry.headers["idempotency-key"], first.headers["idempotency-key"]);
      assert.equal(retry.body, first.body);
      assert.deepEqual([first.upstream, retry.upstream], [{ status: 200, replayed: undefined }, { status: 200, replayed: "true" }]);
    }
    assert.deepEqual(JSON.parse(stub.seen[0]!.body), {
      filter: { camera_id: filter.cameraId, date_from: "2026-04-01", date_to: "2026-04-21T23:59:59.000Z" },
      changes: { acknowledged: true },
    });
    assert.deepEqual(JSON.parse(stub.seen[2]!.body), { ids: [stack.exampleEventId] });
    assert.equal(stub.seen[4]!.body, "");
    const history = await admin.events.history(stack.exampleEventId);
    assert.deepEqual(history.data.map((e) => e.action), ["update", "delete", "restore"], "each change once");
  } finally {
    await stub.close();
  }
});

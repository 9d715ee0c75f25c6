/** The contract's JavaScript examples, as written, against the real stack; keys; construction. */
import assert from "node:assert/strict";
import { test } from "node:test";
import NovaVMS, { NotFoundError } from "novavms";
import { clientFor, needsStack, newOrg } from "./stack.js";

test("the contract's examples work as written", needsStack, async () => {
  const stack = await newOrg();
  const novavms = new NovaVMS({ apiKey: stack.tokens.admin, baseUrl: stack.baseUrl });

  const page = await novavms.events.list({ triggerType: 'ai_tag', dateFrom: '2026-04-20' });
  assert.ok(page.data.length >= 1 && page.total >= page.data.length);
  assert.ok(page.data.every((event) => event.triggerType === "ai_tag" && event.triggeredAt >= "2026-04-20"));
  const listed = page.data[0]!;
  assert.equal(listed.id, stack.exampleEventId);
  assert.equal(listed.triggeredAt, "2026-04-21T13:45:22Z");
  assert.equal(listed.cameraName, "Loading Dock East");
  assert.equal("nextCursor" in page, true);

  const id = stack.exampleEventId;
  const event = await novavms.events.get(id);
  assert.equal(event.id, id);
  assert.deepEqual(event.tags, ["person", "package", "vest"]);
  assert.equal(event.durationSec, 30);
  assert.equal(event.acknowledgedBy, null);
  assert.match(event.snapshotUrl ?? "", /^https?:\/\//);

  const updated = await novavms.events.update(id, { acknowledged: true, notes: 'Confirmed courier, no action needed' });
  assert.equal(updated.acknowledged, true);
  assert.equal(updated.notes, "Confirmed courier, no action needed");
  assert.equal(updated.acknowledgedBy, "admin-user");
  assert.match(updated.acknowledgedAt ?? "", /^\d{4}-\d\d-\d\dT.*Z$/);
  assert.equal((await novavms.events.update(id, { notes: null })).notes, null);

  const dateFrom = '2026-04-01';
  const dateTo = '2026-04-21';
  const csv = await novavms.events.export({ dateFrom, dateTo });
  const lines = csv.trimEnd().split("\r\n");
  assert.equal(lines[0], "id,camera_id,camera_name,trigger_type,triggered_at,duration_sec,summary,tags,ai_status,acknowledged,starred");
  assert.ok(lines.some((line) => line.startsWith(`${id},`)));

  await novavms.events.delete(id);
  await assert.rejects(novavms.events.get(id), NotFoundError);
});

test("Date values are accepted for dates", needsStack, async () => {
  const stack = await newOrg();
  const novavms = clientFor(stack);
  const byText = await novavms.events.list({ dateFrom: "2026-04-21T13:45:22Z", dateTo: "2026-04-21T13:45:22Z" });
  const byDate = await novavms.events.list({ dateFrom: new Date("2026-04-21T13:45:22Z"), dateTo: new Date(Date.UTC(2026, 3, 21, 13, 45, 22)) });
  assert.deepEqual(byDate.data.map((e) => e.id), [stack.exampleEventId]);
  assert.deepEqual(byText.data.map((e) => e.id), [stack.exampleEventId]);
  const csv = await novavms.events.export({ dateFrom: new Date("2026-04-21T00:00:00Z"), dateTo: new Date("2026-04-21T23:59:59Z") });
  assert.ok(csv.includes(stack.exampleEventId));
});

test("every filter is sent as the API names it", needsStack, async () => {
  const stack = await newOrg();
  const novavms = clientFor(stack);
  const all = await novavms.events.list({
    cameraId: "550e8400-e29b-41d4-a716-446655440000",
    siteId: stack.sites[0]!,
    triggerType: "ai_tag",
    aiStatus: "completed",
    starred: false,
    dateFrom: "2026-04-01",
    dateTo: "2026-04-21",
    limit: 100,
  });
  assert.ok(all.data.some((event) => event.id === stack.exampleEventId));
  assert.ok(all.data.every((e) => e.cameraId === "550e8400-e29b-41d4-a716-446655440000" && e.aiStatus === "completed"));
  const starred = await novavms.events.list({ starred: true, limit: 100 });
  assert.ok(starred.data.every((e) => e.starred));
});

test("API keys: create, use, list and revoke", needsStack, async () => {
  const stack = await newOrg();
  const admin = clientFor(stack, "admin");
  const created = await admin.keys.create({ name: "VMS bridge", role: "viewer", siteIds: [stack.sites[0]!] });
  assert.match(created.secret ?? "", /^sk_/);
  assert.deepEqual(created.siteIds, [stack.sites[0]]);
  assert.equal(created.revokedAt, null);
  assert.equal(typeof created.createdAt, "string");

  const withKey = new NovaVMS({ apiKey: created.secret!, baseUrl: stack.baseUrl });
  const page = await withKey.events.list({ triggerType: "ai_tag", dateFrom: "2026-04-20" });
  assert.equal(page.data[0]?.id, stack.exampleEventId);

  const operatorKey = await admin.keys.create({ name: "exports", role: "operator", expiresAt: new Date(Date.now() + 3600_000) });
  assert.equal(operatorKey.siteIds, null);
  assert.ok(operatorKey.expiresAt);

  const { data } = await admin.keys.list();
  assert.deepEqual(new Set(data.map((key) => key.id)), new Set([created.id, operatorKey.id]));
  assert.ok(data.every((key) => !("secret" in key) && key.last4.length === 4 && key.lastUsedAt !== undefined));

  await admin.keys.revoke(created.id);
  const revoked = (await admin.keys.list()).data.find((key) => key.id === created.id);
  assert.ok(revoked?.revokedAt);
  await assert.rejects(withKey.events.list(), { name: "AuthenticationError", status: 401 });
});

test("NOVAVMS_API_KEY and NOVAVMS_BASE_URL are read on Node when not given", needsStack, async () => {
  const stack = await newOrg();
  process.env["NOVAVMS_API_KEY"] = stack.tokens.viewer;
  process.env["NOVAVMS_BASE_URL"] = stack.baseUrl + "/";
  try {
    const novavms = new NovaVMS();
    assert.equal(novavms.baseUrl, stack.baseUrl);
    assert.equal((await novavms.events.get(stack.exampleEventId)).id, stack.exampleEventId);
    const explicit = new NovaVMS({ apiKey: "not-a-token" });
    await assert.rejects(explicit.events.list(), { name: "AuthenticationError" });
  } finally {
    delete process.env["NOVAVMS_API_KEY"];
    delete process.env["NOVAVMS_BASE_URL"];
  }
});

test("a missing key or base URL is refused at construction", () => {
  delete process.env["NOVAVMS_API_KEY"];
  delete process.env["NOVAVMS_BASE_URL"];
  assert.throws(() => new NovaVMS({ baseUrl: "http://127.0.0.1:9" }), { name: "NovaVMSError", message: /NOVAVMS_API_KEY/ });
  assert.throws(() => new NovaVMS({ apiKey: "sk_test_x" }), { name: "NovaVMSError", message: /NOVAVMS_BASE_URL/ });
});

test("the key is not shown when the client is printed", async () => {
  const { inspect } = await import("node:util");
  const novavms = new NovaVMS({ apiKey: "sk_live_secret123", baseUrl: "http://127.0.0.1:9" });
  assert.ok(!inspect(novavms, { depth: 5 }).includes("sk_live_secret123"));
  assert.ok(!JSON.stringify(novavms).includes("sk_live_secret123"));
});

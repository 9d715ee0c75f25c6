/**
 * Search (`tag`, `q`) on the wire, over real HTTP to a stub that answers every request itself: `tag`
 * repeated once per value and `q` once where the operations take them, a batch filter's `tag` as a
 * JSON array, and paging that follows `nextCursor` past the short and empty pages a search answers
 * once it reaches the server's scan cap. Then against the real stack: what each search finds.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import NovaVMS, { PermissionDeniedError, type EventListItem } from "novavms";
import { clientFor, needsStack, newOrg } from "./stack.js";
import { envelope, startStub, type Seen } from "./stub.js";

const NOWHERE = "http://127.0.0.1:9"; // the stub forwards nothing
const TAGS = ["person", "vehicle"];

/** The query of a recorded request as [name, value] pairs, in order. */
function pairs(seen: Seen): [string, string][] {
  return [...new URL(seen.url, "http://stub").searchParams.entries()];
}

test("tag repeats once per value and q is one parameter on list, export and trash; tag alone on the feed and the stream", async () => {
  const stub = await startStub(NOWHERE, () => ({ answer: 403, body: envelope("forbidden") }));
  try {
    const novavms = new NovaVMS({ apiKey: "sk_test_x", baseUrl: stub.url, maxRetries: 0 });
    const search = { tag: TAGS, q: "person pac" };
    const tagged: [string, string][] = [["tag", "person"], ["tag", "vehicle"]];
    const searched: [string, string][] = [...tagged, ["q", "person pac"]];
    const calls: [string, () => Promise<unknown>, string, [string, string][]][] = [
      ["list", async () => novavms.events.list({ ...search, limit: 3 }), "/api/v1/events", [...searched, ["limit", "3"]]],
      ["export", () => novavms.events.export(search), "/api/v1/events/export", searched],
      ["exportStream", () => novavms.events.exportStream(search), "/api/v1/events/export", searched],
      ["listDeleted", async () => novavms.events.listDeleted({ ...search, cursor: "c1" }), "/api/v1/events/deleted", [...searched, ["cursor", "c1"]]],
      ["changes", async () => novavms.events.changes({ tag: TAGS, siteId: "s1" }), "/api/v1/events/changes", [...tagged, ["site_id", "s1"]]],
      [
        "stream",
        async () => {
          for await (const _ of novavms.events.stream({ tag: TAGS, useTickets: false })) assert.fail("no change");
        },
        "/api/v1/events/stream",
        tagged,
      ],
    ];
    for (const [name, call, path, expected] of calls) {
      await assert.rejects(call(), PermissionDeniedError, name);
      const seen = stub.seen.at(-1)!;
      assert.equal(new URL(seen.url, "http://stub").pathname, path, name);
      assert.deepEqual(pairs(seen), expected, name);
    }
    assert.match(stub.seen[0]!.url, /\?tag=person&tag=vehicle&q=person(\+|%20)pac&limit=3$/);
  } finally {
    await stub.close();
  }
});

test("a batch filter's tag is a JSON array, its q text", async () => {
  const result = { matched: 0, changed: 0, results: [] };
  const stub = await startStub(NOWHERE, () => ({ answer: 200, body: result }));
  try {
    const novavms = new NovaVMS({ apiKey: "sk_test_x", baseUrl: stub.url, maxRetries: 0 });
    await novavms.events.batchUpdate({ filter: { tag: TAGS, q: "red van", cameraId: "c1" }, changes: { acknowledged: true } });
    await novavms.events.batchDelete({ filter: { tag: ["person"] } });
    const [update, remove] = stub.seen.map((seen) => JSON.parse(seen.body) as unknown);
    assert.deepEqual(update, { filter: { tag: TAGS, q: "red van", camera_id: "c1" }, changes: { acknowledged: true } });
    assert.deepEqual(remove, { filter: { tag: ["person"] } });
  } finally {
    await stub.close();
  }
});

test("iterating a search follows nextCursor past an empty and a short page, keeping tag and q", async () => {
  const item = (id: string) => ({ id, camera_id: "c1", camera_name: "Gate", camera_deleted: false, trigger_type: "ai_tag", triggered_at: "2026-04-21T13:45:22Z", summary: "Person with package", tags: TAGS, ai_status: "completed", acknowledged: false, starred: false, snapshot_url: null });
  // What a server past its scan cap answers: pages short of `limit`, even empty, that are not the last.
  const pages: Record<string, { data: unknown[]; next_cursor: string | null }> = {
    "": { data: [], next_cursor: "c1" },
    c1: { data: [item("e1")], next_cursor: "c2" },
    c2: { data: [], next_cursor: "c3" },
    c3: { data: [item("e2"), item("e3")], next_cursor: null },
  };
  const stub = await startStub(NOWHERE, (_, seen) => {
    const cursor = new URL(seen.url, "http://stub").searchParams.get("cursor") ?? "";
    return { answer: 200, body: { ...pages[cursor]!, total: 0, total_exact: false } };
  });
  try {
    const novavms = new NovaVMS({ apiKey: "sk_test_x", baseUrl: stub.url, maxRetries: 0 });
    const first = await novavms.events.list({ tag: TAGS, q: "pac", limit: 3 });
    assert.deepEqual(first.data, []);
    assert.equal(first.totalExact, false);
    assert.ok(first.hasNextPage(), "an empty page with a cursor is not the last");

    const walked: string[] = [];
    for await (const event of novavms.events.list({ tag: TAGS, q: "pac", limit: 3 })) walked.push(event.id);
    assert.deepEqual(walked, ["e1", "e2", "e3"]);
    const asked = stub.seen.slice(1).map((seen) => new URL(seen.url, "http://stub").searchParams);
    assert.deepEqual(asked.map((query) => query.get("cursor")), [null, "c1", "c2", "c3"]);
    for (const query of asked) {
      assert.deepEqual(query.getAll("tag"), TAGS);
      assert.equal(query.get("q"), "pac");
      assert.equal(query.get("limit"), "3");
    }

    const trash: string[] = [];
    const trashed = (id: string) => ({ ...item(id), deleted_at: "2026-04-22T00:00:00Z", deleted_by: "u1" });
    pages[""] = { data: [], next_cursor: "c3" };
    pages["c3"] = { data: [trashed("t1")], next_cursor: null };
    for await (const event of novavms.events.listDeleted({ tag: ["person"] })) trash.push(event.id);
    assert.deepEqual(trash, ["t1"]);
  } finally {
    await stub.close();
  }
});

test("against the stack: tag is any of its values, q every word (case, accents, prefixes), within a viewer's sites", needsStack, async () => {
  const stack = await newOrg();
  const operator = clientFor(stack, "operator");
  const all: EventListItem[] = [];
  for await (const event of operator.events.list({ limit: 100 })) all.push(event);

  const tagged: string[] = [];
  for await (const event of operator.events.list({ tag: ["vehicle", "manual"], limit: 7 })) tagged.push(event.id);
  const expected = all.filter((event) => event.tags.some((tag) => tag === "vehicle" || tag === "manual")).map((event) => event.id);
  assert.ok(expected.length > 7, "more than one page");
  assert.deepEqual(tagged, expected);

  // "NÖRTH park": the camera "Parking North" (accents and case folded; "park" begins "parking").
  const north = all.filter((event) => event.cameraName === "Parking North").map((event) => event.id);
  assert.ok(north.length > 5);
  const found: string[] = [];
  for await (const event of operator.events.list({ q: "NÖRTH park", limit: 5 })) found.push(event.id);
  assert.deepEqual(found, north);
  assert.equal((await operator.events.list({ q: "pa" })).total, 0, "two characters match whole words only");

  const viewer = clientFor(stack, "viewer"); // not the site of that camera
  assert.deepEqual((await viewer.events.list({ q: "north" })).data, []);

  const manual = all.filter((event) => event.tags.includes("manual")).length;
  const csv = await operator.events.export({ tag: ["manual"], q: "recording" });
  assert.equal(csv.trim().split("\n").length, manual + 1, "the header, then one row per manual recording");
});

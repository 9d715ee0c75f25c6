/** Paging: a page awaited, every event walked across pages (one request per page, filters kept). */
import assert from "node:assert/strict";
import { test } from "node:test";
import NovaVMS, { type Change, FeedPage, GoneError, Page, PagePromise } from "novavms";
import { needsStack, newOrg, setEnv, type Stack } from "./stack.js";

/** A client whose fetch records every URL it requests. */
function recordingClient(stack: Stack, role: keyof Stack["tokens"] = "operator"): { novavms: NovaVMS; urls: URL[] } {
  const urls: URL[] = [];
  const recording: typeof fetch = (input, init) => {
    urls.push(new URL(String(input)));
    return fetch(input, init);
  };
  return { novavms: new NovaVMS({ apiKey: stack.tokens[role], baseUrl: stack.baseUrl, fetch: recording }), urls };
}

test("awaiting list gives one page: data, nextCursor, total", needsStack, async () => {
  const stack = await newOrg();
  const { novavms, urls } = recordingClient(stack);
  const list = novavms.events.list({ limit: 10 });
  assert.ok(list instanceof PagePromise);
  const page = await list;
  assert.ok(page instanceof Page);
  assert.equal(page.data.length, 10);
  assert.equal(page.total, stack.eventCount);
  assert.equal(typeof page.nextCursor, "string");
  assert.ok(page.hasNextPage());
  await list; // the same first page, not asked again
  assert.equal(urls.length, 1);
  const next = await page.getNextPage();
  assert.equal(next.data.length, 10);
  assert.equal(new Set([...page.data, ...next.data].map((e) => e.id)).size, 20);
  assert.equal(urls[1]?.searchParams.get("cursor"), page.nextCursor);
});

test("for await walks every matching event across pages with the filters kept", needsStack, async () => {
  const stack = await newOrg();
  const { novavms, urls } = recordingClient(stack);
  const filters = { triggerType: "ai_tag", dateFrom: "2026-04-01", dateTo: "2026-04-21", limit: 3 } as const;
  const first = await novavms.events.list({ ...filters, limit: 100 });
  urls.length = 0;

  const walked: string[] = [];
  for await (const event of novavms.events.list(filters)) {
    assert.equal(event.triggerType, "ai_tag");
    walked.push(event.id);
  }
  assert.deepEqual(walked, first.data.map((e) => e.id));
  assert.equal(walked.length, first.total);
  assert.ok(walked.length > 3, "more than one page");
  assert.equal(urls.length, Math.ceil(walked.length / 3), "one request per page");
  urls.forEach((url, n) => {
    assert.equal(url.searchParams.get("trigger_type"), "ai_tag");
    assert.equal(url.searchParams.get("date_from"), "2026-04-01");
    assert.equal(url.searchParams.get("date_to"), "2026-04-21");
    assert.equal(url.searchParams.get("limit"), "3");
    assert.equal(url.searchParams.has("cursor"), n > 0);
  });
});

test("walking the whole org, a page's own iterator, and breaking off early", needsStack, async () => {
  const stack = await newOrg(30);
  const { novavms, urls } = recordingClient(stack);
  const ids = new Set<string>();
  for await (const event of novavms.events.list({ limit: 100 })) ids.add(event.id);
  assert.equal(ids.size, stack.eventCount);

  urls.length = 0;
  const page = await novavms.events.list({ limit: 5 });
  let seen = 0;
  for await (const _ of page) {
    if (++seen === 7) break;
  }
  assert.equal(urls.length, 2, "stops asking once the loop breaks");
});

test("a viewer walks only their sites' events", needsStack, async () => {
  const stack = await newOrg();
  const { novavms } = recordingClient(stack, "viewer");
  const ids: string[] = [];
  for await (const event of novavms.events.list({ limit: 7 })) ids.push(event.id);
  const page = await novavms.events.list();
  assert.equal(ids.length, page.total);
  assert.ok(ids.length < stack.eventCount && ids.includes(stack.exampleEventId));
});

test("events.changes walks the feed until it is drained; its cursor resumes; an old one is GoneError", needsStack, async () => {
  const putBack = await setEnv({ EVENTS_CHANGES_SETTLE_SECONDS: "0" });
  try {
    const stack = await newOrg();
    const { novavms, urls } = recordingClient(stack, "admin");
    const walked: Change[] = [];
    for await (const change of novavms.events.changes({ limit: 7, types: ["event.created"] })) walked.push(change);
    // Every event the seed loaded, once (it writes the contract's example event whole, outside the store).
    const loaded = (await novavms.events.list({ limit: 100 })).data.map((e) => e.id).filter((id) => id !== stack.exampleEventId);
    assert.deepEqual(walked.map((c) => c.eventId).sort(), loaded.sort());
    urls.length = 0;
    for await (const change of novavms.events.changes({ limit: 7, types: ["event.created"] })) assert.ok(change.id);
    assert.ok(walked.every((c) => c.type === "event.created" && c.event?.snapshotUrl === null && c.actor?.kind === "pipeline"));
    assert.equal(urls.length, Math.ceil(walked.length / 7) + 1, "until an empty page");
    assert.ok(urls.every((url) => url.searchParams.get("types") === "event.created"));

    const last = await novavms.events.changes({ types: ["event.created"] });
    assert.ok(last instanceof FeedPage);
    const polled = await novavms.events.changes({ cursor: last.nextCursor, types: ["event.created"] });
    assert.deepEqual(polled.data, []);
    assert.equal(typeof polled.nextCursor, "string");
    assert.equal(polled.hasNextPage(), false);

    await novavms.events.update(stack.exampleEventId, { starred: true });
    const [change] = (await novavms.events.changes({ types: ["event.updated"] })).data;
    assert.deepEqual(change?.changed, ["starred"]);
    assert.deepEqual(change?.previous, { starred: false });

    const shortened = await setEnv({ EVENTS_CHANGES_RETENTION_SECONDS: "1" });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await assert.rejects(novavms.events.changes({ cursor: last.nextCursor, types: ["event.created"] }), (error: unknown) => {
        assert.ok(error instanceof GoneError);
        assert.equal(error.status, 410);
        assert.equal(error.code, "gone");
        return true;
      });
    } finally {
      await shortened();
    }
  } finally {
    await putBack();
  }
});

/**
 * The live event stream: the SSE decoder against the standard's rules; reconnection and the ticket
 * flow against a small local SSE server that drops, closes, refuses and resets (what each reconnection
 * carried is checked); and, on the real stack, ingest/PATCH/DELETE/restore changes in the change log's
 * order, resumed across the server's own closes (its maximum duration shortened) without gaps or
 * repeats, by header on Node and by ticket as a browser does.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import NovaVMS, { AuthenticationError, SSEDecoder, type Change, type EventStream, type ServerSentEvent } from "novavms";
import { clientFor, needsStack, newOrg, setEnv } from "./stack.js";

function feedAll(chunks: string[]): { events: ServerSentEvent[]; decoder: SSEDecoder } {
  const decoder = new SSEDecoder();
  return { events: chunks.flatMap((chunk) => decoder.feed(chunk)), decoder };
}

test("multi-line data joins with newlines; the type and id are kept", () => {
  const { events, decoder } = feedAll(['event: event.created\nid: c1\ndata: {"a":\ndata:  1}\n\n']);
  assert.deepEqual(events, [{ event: "event.created", data: '{"a":\n 1}', id: "c1" }]);
  assert.equal(decoder.lastId, "c1");
});

test("comments are skipped; a message without a type is a message", () => {
  assert.deepEqual(feedAll([": heartbeat\n\n:\ndata: x\n: between\n\n"]).events, [{ event: "message", data: "x", id: "" }]);
});

for (const chunks of [
  ["id: 1\r\ndata: a\r\n\r\nid: 2\r\ndata: b\r\n\r\n"],
  ["id: 1\rdata: a\r\rid: 2\rdata: b\r\r"],
  ["id: 1\r", "\ndata: a\r", "\n\r", "\nid: 2\r\nda", "ta: b\r\n", "\r", "\n"],
  [..."id: 1\r\ndata: a\r\n\r\nid: 2\ndata: b\n\n"],
]) {
  test(`line ends CRLF, CR and LF in chunks of any size: ${JSON.stringify(chunks).slice(0, 40)}`, () => {
    assert.deepEqual(feedAll(chunks).events, [
      { event: "message", data: "a", id: "1" },
      { event: "message", data: "b", id: "2" },
    ]);
  });
}

test("retry takes digits only; one space after the colon goes; the id commits at the message's end", () => {
  assert.equal(feedAll(["retry: 2000\nretry: 1.5\nretry: x\n\n"]).decoder.retryMs, 2000);
  assert.deepEqual(feedAll(["data:  two\ndata\ndata:x\n\n"]).events, [{ event: "message", data: " two\n\nx", id: "" }]);
  const decoder = new SSEDecoder();
  assert.deepEqual(decoder.feed("id: 7\ndata: a"), []);
  assert.equal(decoder.lastId, "");
  assert.deepEqual(decoder.feed("\n\nid: 8\n\n"), [{ event: "message", data: "a", id: "7" }]);
  assert.equal(decoder.lastId, "8");
  decoder.feed("id: 9\0\ndata: b\n\n");
  assert.equal(decoder.lastId, "8");
});

// -- reconnection against a local SSE server ---------------------------------------------------------

function message(n: number): string {
  const change = { id: `c${n}`, type: "event.created", event_id: `e${n}`, at: "2026-04-20T10:00:00Z" };
  return `id: c${n}\nevent: event.created\ndata: ${JSON.stringify(change)}\n\n`;
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}
type Reply = { status: number; pieces?: string[]; cut?: boolean; body?: unknown; headers?: Record<string, string> };

/** A server whose stream request number `n` (from 0) gets `plan(n, seen)`; tickets are `t<n>`. */
async function sseServer(plan: (n: number, seen: Seen) => Reply): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  let streams = 0;
  let tickets = 0;
  const server: Server = createServer((req, res) => {
    const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers };
    seen.push(request);
    if (req.method === "POST" && req.url === "/api/v1/stream-tickets") {
      res.writeHead(201, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ ticket: `t${tickets++}`, expires_at: "2026-04-20T10:01:00Z" }));
      return;
    }
    const reply = plan(streams++, request);
    if (reply.status !== 200) {
      res.writeHead(reply.status, { "Content-Type": "application/json", ...reply.headers });
      res.end(JSON.stringify(reply.body ?? { error: "x", message: "refused", request_id: "r" }));
      return;
    }
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    res.flushHeaders();
    for (const piece of reply.pieces ?? []) res.write(piece);
    // A cut comes once what was written has left: the client reads it, then the connection breaks.
    if (reply.cut) res.write("", () => setTimeout(() => res.socket?.destroy(), 20));
    else res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Connection 1 is cut halfway through a message, 2 closes cleanly, 3 is a 503, 4 a 429; 7 on only heartbeats. */
function droppingPlan(n: number, seen: Seen): Reply {
  const url = new URL(seen.url, "http://x");
  const from = String(seen.headers["last-event-id"] ?? url.searchParams.get("cursor") ?? "c0");
  const start = Number(from.slice(1)) + 1;
  if (n === 3) return { status: 503 };
  if (n === 4) return { status: 429, headers: { "Retry-After": "0" } };
  if (n >= 7) return { status: 200, pieces: ["retry: 1\n\n", ": heartbeat\n\n"] };
  const pieces = ["retry: 1\n\n", message(start), message(start + 1)];
  if (n === 1) return { status: 200, pieces: [...pieces, message(start + 2).slice(0, 20)], cut: true };
  return { status: 200, pieces: [...pieces, message(start + 2)], cut: n !== 2 };
}

async function take(stream: EventStream, count: number): Promise<Change[]> {
  const changes: Change[] = [];
  for await (const change of stream) {
    changes.push(change);
    if (changes.length === count) break;
  }
  return changes;
}

test("on Node the stream resumes with Last-Event-ID after drops, closes and errors, without gaps or repeats", async () => {
  const server = await sseServer(droppingPlan);
  try {
    const novavms = new NovaVMS({ apiKey: "sk_test", baseUrl: server.url, maxRetries: 0 });
    const stream = novavms.events.stream({ cursor: "c0", types: ["event.created"], siteId: "s1" });
    const changes = await take(stream, 12);
    assert.deepEqual(changes.map((c) => c.id), Array.from({ length: 12 }, (_, i) => `c${i + 1}`));
    assert.equal(changes[0]?.eventId, "e1");
    assert.equal(stream.lastId, "c12");
    const [first, ...later] = server.seen;
    assert.match(first!.url, /cursor=c0/);
    assert.match(first!.url, /types=event.created/);
    assert.match(first!.url, /site_id=s1/);
    assert.equal(first!.headers.authorization, "Bearer sk_test");
    assert.deepEqual(later.map((s) => s.headers["last-event-id"]), ["c3", "c5", "c8", "c8", "c8", "c11"]);
    assert.ok(later.every((s) => !s.url.includes("cursor=") && s.url.includes("site_id=s1")));
  } finally {
    await server.close();
  }
});

test("with tickets (as in a browser) each connection takes a new ticket and carries the last id as cursor", async () => {
  const server = await sseServer(droppingPlan);
  try {
    const novavms = new NovaVMS({ apiKey: "jwt-of-a-user", baseUrl: server.url, maxRetries: 0 });
    const stream = novavms.events.stream({ cursor: "c0", useTickets: true });
    assert.deepEqual((await take(stream, 12)).map((c) => c.id), Array.from({ length: 12 }, (_, i) => `c${i + 1}`));
    const streams = server.seen.filter((s) => s.method === "GET");
    const tickets = server.seen.filter((s) => s.method === "POST");
    assert.equal(tickets.length, streams.length);
    assert.ok(tickets.every((s) => s.headers.authorization === "Bearer jwt-of-a-user"));
    const asked = streams.map((s) => new URL(s.url, "http://x").searchParams);
    assert.deepEqual(asked.map((q) => q.get("ticket")), streams.map((_, i) => `t${i}`));
    assert.deepEqual(asked.map((q) => q.get("cursor")), ["c0", "c3", "c5", "c8", "c8", "c8", "c11"]);
    assert.ok(streams.every((s) => s.headers.authorization === undefined && s.headers["last-event-id"] === undefined));
  } finally {
    await server.close();
  }
});

test("a reset moves the stream to the head and a final answer throws", async () => {
  const server = await sseServer((n) => {
    if (n === 0) return { status: 200, pieces: ['retry: 1\nid: c50\nevent: reset\ndata: {"code":"gone"}\n\n'] };
    if (n === 1) return { status: 200, pieces: [message(51)] };
    return { status: 401 };
  });
  try {
    const heads: string[] = [];
    const novavms = new NovaVMS({ apiKey: "sk_test", baseUrl: server.url, maxRetries: 0 });
    const stream = novavms.events.stream({ cursor: "c1", onReset: (head) => heads.push(head) });
    const changes: string[] = [];
    await assert.rejects(async () => {
      for await (const change of stream) changes.push(change.id);
    }, AuthenticationError);
    assert.deepEqual(changes, ["c51"]);
    assert.deepEqual(heads, ["c50"]);
    assert.equal(stream.resets, 1);
    assert.deepEqual(server.seen.map((s) => s.headers["last-event-id"]), [undefined, "c50", "c51"]);
  } finally {
    await server.close();
  }
});

test("a message of only an id (say the head when a stream opens) is where a reconnection starts", async () => {
  const server = await sseServer((n) =>
    n === 0 ? { status: 200, pieces: ["retry: 1\nid: c40\n\n"], cut: true } : { status: 200, pieces: [message(41)] },
  );
  try {
    const stream = new NovaVMS({ apiKey: "sk_test", baseUrl: server.url, maxRetries: 0 }).events.stream();
    assert.deepEqual((await take(stream, 1)).map((c) => c.id), ["c41"]);
    assert.deepEqual(server.seen.slice(0, 2).map((s) => s.headers["last-event-id"]), [undefined, "c40"]);
  } finally {
    await server.close();
  }
});

test("close() ends the iteration and closes the connection", async () => {
  const server = await sseServer(() => ({ status: 200, pieces: ["retry: 1\n\n", message(1)], cut: false }));
  try {
    const stream = new NovaVMS({ apiKey: "sk_test", baseUrl: server.url }).events.stream();
    const ids: string[] = [];
    for await (const change of stream) {
      ids.push(change.id);
      stream.close();
    }
    assert.deepEqual(ids, ["c1"]);
  } finally {
    await server.close();
  }
});

// -- the real stack ------------------------------------------------------------------------------

/** The feed's cursor after every change so far (once the seeding's changes settled: the settle window is 1 s here). */
async function feedHead(novavms: NovaVMS): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  let page = await novavms.events.changes();
  while (page.data.length > 0) page = await novavms.events.changes({ cursor: page.nextCursor });
  return page.nextCursor;
}

async function feedAfter(novavms: NovaVMS, cursor: string): Promise<Change[]> {
  const changes: Change[] = [];
  for await (const change of novavms.events.changes({ cursor })) changes.push(change);
  return changes;
}

/** Reads `stream` until `count` changes came (or 60 s passed: then what came). */
async function takeWithin(stream: EventStream, count: number): Promise<Change[]> {
  const changes: Change[] = [];
  const timer = setTimeout(() => stream.close(), 60_000);
  try {
    for await (const change of stream) {
      changes.push(change);
      if (changes.length === count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return changes;
}

/** A new event (upsert), then PATCH, DELETE and restore of it; a PATCH of the seeded example after each of `rounds` waits. */
async function writeChanges(admin: NovaVMS, stack: { sites: string[]; exampleEventId: string }, rounds: number): Promise<number> {
  const id = randomUUID();
  await admin.events.upsert(id, {
    siteId: stack.sites[0]!,
    cameraId: "550e8400-e29b-41d4-a716-446655440000",
    cameraName: "Loading Dock East",
    triggerType: "ai_tag",
    triggeredAt: new Date(),
    aiStatus: "completed",
  });
  await admin.events.update(id, { acknowledged: true });
  await admin.events.delete(id);
  await admin.events.restore(id);
  for (let round = 0; round < rounds; round++) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await admin.events.update(stack.exampleEventId, { starred: round % 2 === 0 });
  }
  return 4 + rounds;
}

for (const useTickets of [false, true]) {
  test(`on the stack (${useTickets ? "a new ticket per connection, as in a browser" : "Last-Event-ID"}): ingest, PATCH, DELETE and restore in order, resumed across the server's closes`, needsStack, async () => {
    const restore = await setEnv({ EVENTS_CHANGES_SETTLE_SECONDS: "1", EVENTS_STREAM_MAX_SECONDS: "2", EVENTS_STREAM_HEARTBEAT_SECONDS: "1" });
    try {
      const stack = await newOrg();
      const admin = clientFor(stack, "admin");
      const start = await feedHead(admin);
      const seen: string[] = [];
      const recording: typeof fetch = (input, init) => {
        seen.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
        return fetch(input, init);
      };
      const reader = clientFor(stack, "admin", { fetch: recording });
      const stream = reader.events.stream({ cursor: start, useTickets });
      const [written, got] = await Promise.all([writeChanges(admin, stack, 3), takeWithin(stream, 7)]);
      assert.equal(got.length, written);
      const feed = await feedAfter(admin, start);
      assert.deepEqual(got.map((c) => `${c.type} ${c.eventId} ${c.id}`), feed.map((c) => `${c.type} ${c.eventId} ${c.id}`));
      assert.deepEqual(got.slice(0, 4).map((c) => c.type), ["event.created", "event.updated", "event.deleted", "event.restored"]);
      assert.deepEqual(got, await feedAfter(admin, start));
      const opened = seen.filter((s) => s === "GET /api/v1/events/stream").length;
      assert.ok(opened >= 2, `the server's closes were resumed (${opened} connections)`);
      const tickets = seen.filter((s) => s === "POST /api/v1/stream-tickets").length;
      assert.equal(tickets, useTickets ? opened : 0);
      assert.deepEqual(await feedAfter(admin, stream.lastId!), []);
    } finally {
      await restore();
    }
  });
}

test("on the stack a refused credential ends the stream with its error", needsStack, async () => {
  const stack = await newOrg();
  const stream = new NovaVMS({ apiKey: "not-a-token", baseUrl: stack.baseUrl }).events.stream();
  await assert.rejects(async () => {
    for await (const _change of stream) assert.fail("no change for a bad token");
  }, AuthenticationError);
});

/** export() gives the CSV text; exportStream() a web ReadableStream that Node pipes to a file, which errors when the transfer breaks. */
import assert from "node:assert/strict";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";
import NovaVMS, { APIConnectionError, PermissionDeniedError } from "novavms";
import { clientFor, needsStack, newOrg } from "./stack.js";
import { startStub } from "./stub.js";

test("export gives the CSV text of the matching events, in list order", needsStack, async () => {
  const stack = await newOrg();
  const novavms = clientFor(stack);
  const dateFrom = "2026-04-01";
  const dateTo = "2026-04-21";
  const csv = await novavms.events.export({ dateFrom, dateTo });
  const rows = csv.trimEnd().split("\r\n").slice(1);
  const ids: string[] = [];
  for await (const event of novavms.events.list({ dateFrom, dateTo, limit: 100 })) ids.push(event.id);
  assert.deepEqual(rows.map((row) => row.split(",")[0]), ids);
  assert.equal((await novavms.events.export({ dateFrom, dateTo, limit: 2 })).trimEnd().split("\r\n").length, 3);
  await assert.rejects(clientFor(stack, "viewer").events.export({ dateFrom }), PermissionDeniedError);
});

test("exportStream pipes to a file through Readable.fromWeb, byte for byte the export", needsStack, async () => {
  const stack = await newOrg(300);
  const novavms = clientFor(stack);
  const stream = await novavms.events.exportStream({});
  assert.ok(stream instanceof ReadableStream);
  const path = join(await mkdtemp(join(tmpdir(), "novavms-")), "events.csv");
  await pipeline(Readable.fromWeb(stream as import("node:stream/web").ReadableStream<Uint8Array>), createWriteStream(path));
  const written = await readFile(path, "utf8");
  assert.equal(written.trimEnd().split("\r\n").length, stack.eventCount + 1);
  assert.equal(written, await novavms.events.export({}));
});

test("a transfer cut midway errors the stream (and export()), never ends quietly", needsStack, async () => {
  const stack = await newOrg(300);
  const stub = await startStub(stack.baseUrl, () => ({ forward: true, cutAfterBytes: 5000 }));
  try {
    const novavms = new NovaVMS({ apiKey: stack.tokens.operator, baseUrl: stub.url, maxRetries: 0 });
    const stream = await novavms.events.exportStream({});
    let received = 0;
    const read = async (): Promise<void> => {
      for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) received += chunk.length;
    };
    const error = await read().then(() => assert.fail("the cut stream ended quietly"), (e: unknown) => e);
    assert.ok(error instanceof APIConnectionError, String(error));
    assert.match(error.message, /export broke off/);
    assert.ok(received > 0 && received <= 5000, String(received));

    const piped = await novavms.events.exportStream({});
    const path = join(await mkdtemp(join(tmpdir(), "novavms-")), "cut.csv");
    await assert.rejects(pipeline(Readable.fromWeb(piped as import("node:stream/web").ReadableStream<Uint8Array>), createWriteStream(path)), APIConnectionError);
    await assert.rejects(novavms.events.export({}), APIConnectionError);
  } finally {
    await stub.close();
  }
});

test("a CSV shorter than X-Export-Rows announced errors, even when its connection closed cleanly", needsStack, async () => {
  const stack = await newOrg(300);
  const stub = await startStub(stack.baseUrl, () => ({ forward: true, cutAfterBytes: 5000, closeDelimited: true }));
  try {
    const novavms = new NovaVMS({ apiKey: stack.tokens.operator, baseUrl: stub.url, maxRetries: 0 });
    const stream = await novavms.events.exportStream({});
    const read = async (): Promise<number> => {
      let received = 0;
      for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) received += chunk.length;
      return received;
    };
    const error = await read().then((n) => assert.fail(`the cut stream ended quietly after ${n} bytes`), (e: unknown) => e);
    assert.ok(error instanceof APIConnectionError, String(error));
    assert.match(error.message, new RegExp(`of ${stack.eventCount} rows arrived`));
    await assert.rejects(novavms.events.export({}), /rows arrived/);
  } finally {
    await stub.close();
  }
});

test("exportStream throws the typed error before any stream when the answer is an error", needsStack, async () => {
  const stack = await newOrg();
  await assert.rejects(clientFor(stack, "viewer").events.exportStream({}), PermissionDeniedError);
});

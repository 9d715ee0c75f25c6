/** keys.list is paged like events.list: a page awaited, every key walked across pages (limit kept). */
import assert from "node:assert/strict";
import { test } from "node:test";
import NovaVMS, { CursorPage, PagePromise } from "novavms";
import { needsStack, newOrg } from "./stack.js";

test("keys.list gives a page awaited and every key, newest first, walked across pages", needsStack, async () => {
  const stack = await newOrg();
  const urls: URL[] = [];
  const recording: typeof fetch = (input, init) => {
    urls.push(new URL(String(input)));
    return fetch(input, init);
  };
  const admin = new NovaVMS({ apiKey: stack.tokens.admin, baseUrl: stack.baseUrl, fetch: recording });
  const created: string[] = [];
  for (let n = 0; n < 5; n++) created.push((await admin.keys.create({ name: `key ${n}`, role: "operator" })).id);
  urls.length = 0;

  const list = admin.keys.list({ limit: 2 });
  assert.ok(list instanceof PagePromise);
  const page = await list;
  assert.ok(page instanceof CursorPage);
  assert.deepEqual(page.data.map((key) => key.id), created.slice(-2).reverse());
  assert.ok(page.hasNextPage() && typeof page.nextCursor === "string");

  urls.length = 0;
  const walked: string[] = [];
  for await (const key of admin.keys.list({ limit: 2 })) walked.push(key.id);
  assert.deepEqual(walked, [...created].reverse());
  assert.equal(urls.length, 3, "one request per page");
  urls.forEach((url, n) => {
    assert.equal(url.searchParams.get("limit"), "2");
    assert.equal(url.searchParams.has("cursor"), n > 0);
  });
  assert.equal((await admin.keys.list()).data.length, 5); // 20 a page by default
});

/** In a browser (simulated here: a `window` with a `document`, no Node `process`), sk_ keys are refused unless dangerouslyAllowBrowser; JWTs are fine. The real browser is tests/integration/test_client_js.py's Chromium test. */
import assert from "node:assert/strict";
import { test } from "node:test";
import NovaVMS, { NovaVMSError } from "novavms";

function asBrowser<T>(body: () => T): T {
  const scope = globalThis as Record<string, unknown>;
  const process = scope["process"];
  scope["window"] = { document: {} };
  Object.defineProperty(globalThis, "process", { value: undefined, configurable: true, writable: true });
  try {
    return body();
  } finally {
    delete scope["window"];
    Object.defineProperty(globalThis, "process", { value: process, configurable: true, writable: true });
  }
}

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";

test("a browser refuses an sk_ key", () => {
  asBrowser(() => {
    assert.throws(() => new NovaVMS({ apiKey: "sk_live_abc123", baseUrl: "https://events.example.com" }), (error: unknown) => {
      assert.ok(error instanceof NovaVMSError);
      assert.match(error.message, /dangerouslyAllowBrowser/);
      return true;
    });
  });
});

test("a browser takes an sk_ key with dangerouslyAllowBrowser, and a JWT as is", () => {
  asBrowser(() => {
    new NovaVMS({ apiKey: "sk_live_abc123", baseUrl: "https://events.example.com", dangerouslyAllowBrowser: true });
    new NovaVMS({ apiKey: JWT, baseUrl: "https://events.example.com" });
  });
});

test("a browser does not read NOVAVMS_* (there is no process.env) and defaults baseUrl to the page's origin", () => {
  const scope = globalThis as Record<string, unknown>;
  scope["location"] = { origin: "https://vms.example.com" };
  try {
    const novavms = asBrowser(() => new NovaVMS({ apiKey: JWT }));
    assert.equal(novavms.baseUrl, "https://vms.example.com");
  } finally {
    delete scope["location"];
  }
});

test("on Node an sk_ key is fine", () => {
  new NovaVMS({ apiKey: "sk_live_abc123", baseUrl: "https://events.example.com" });
});

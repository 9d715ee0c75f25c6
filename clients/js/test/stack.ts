/**
 * The real local stack for the tests, from the fixture server of tests/integration/test_client_js.py
 * (NOVAVMS_TEST_FIXTURES): a fresh org per test, its tokens, and gateway settings changes.
 */
import NovaVMS, { type ClientOptions } from "novavms";

export interface Stack {
  org: string;
  baseUrl: string;
  eventCount: number;
  exampleEventId: string;
  sites: string[];
  tokens: { viewer: string; operator: string; admin: string };
  otherOrgToken: string;
}

const FIXTURES = process.env["NOVAVMS_TEST_FIXTURES"];

/** Options for `test()` needing the stack: skipped, saying why, when it is not there. */
export const needsStack = FIXTURES
  ? {}
  : { skip: "NOVAVMS_TEST_FIXTURES is not set: run `.venv/bin/pytest tests/integration/test_client_js.py`" };

async function post<T>(path: string, body: unknown): Promise<T> {
  if (!FIXTURES) throw new Error(needsStack.skip);
  const response = await fetch(FIXTURES + path, { method: "POST", body: JSON.stringify(body) });
  const answer = (await response.json()) as T;
  if (!response.ok) throw new Error(`fixture server ${path}: ${JSON.stringify(answer)}`);
  return answer;
}

/** A fresh org seeded with the contract's example event, 40 April-2026 events and `count` recent ones. */
export function newOrg(count = 0): Promise<Stack> {
  return post<Stack>("/org", { count });
}

/** Sets gateway settings (environment variables; null unsets); returns a function putting them back. */
export async function setEnv(changes: Record<string, string | null>): Promise<() => Promise<void>> {
  const previous = await post<Record<string, string | null>>("/env", changes);
  return async () => {
    await post("/env", previous);
  };
}

/** A client of the stack with a token of the org (operator unless named). */
export function clientFor(stack: Stack, role: keyof Stack["tokens"] = "operator", options: ClientOptions = {}): NovaVMS {
  return new NovaVMS({ apiKey: stack.tokens[role], baseUrl: stack.baseUrl, ...options });
}

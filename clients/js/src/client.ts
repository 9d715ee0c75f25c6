/** The client: options, authentication and the one request path every method goes through. */

import { toSnake } from "./case.js";
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  NovaVMSError,
  UploadError,
  errorFromAnswer,
} from "./errors.js";
import { OPERATIONS, operationPath, type OperationId } from "./operations.js";
import { isRetryableStatus, retryDelayMs } from "./retry.js";
import { Events } from "./resources/events.js";
import { Keys } from "./resources/keys.js";
import { EventTypes } from "./resources/event-types.js";
import { WebhookEndpoints } from "./resources/webhook-endpoints.js";
import { isBrowser, nodeDescription, pageOrigin, readEnv, sleep, uuid4 } from "./runtime.js";
import type { RequestOptions, UploadTarget } from "./types.js";
import { VERSION } from "./version.js";

/** Options of `new NovaVMS({...})`. */
export interface ClientOptions {
  /** An API key (`sk_live_...`) or a user's bearer JWT. Default: `NOVAVMS_API_KEY` (Node). */
  apiKey?: string | undefined;
  /** The gateway, e.g. `https://events.example.com`. Default: `NOVAVMS_BASE_URL` (Node), else the page's origin (browser). */
  baseUrl?: string | undefined;
  /** Milliseconds per attempt before {@link APITimeoutError}. Default 60000. */
  timeout?: number | undefined;
  /** Retries after 429, 409 in flight, 502/503/504, network errors and timeouts. Default 2. */
  maxRetries?: number | undefined;
  /** Headers sent with every request. */
  defaultHeaders?: Record<string, string> | undefined;
  /** A `fetch` to use instead of the platform's. */
  fetch?: typeof fetch | undefined;
  /** Allow an `sk_` API key in a browser (a secret key in a web page is readable by anyone who loads it). */
  dangerouslyAllowBrowser?: boolean | undefined;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 2;
export const CLIENT_NAME = `novavms-js/${VERSION}`;

/** What a method asks of {@link NovaVMS.request}. */
export interface ApiRequest {
  pathParams?: Record<string, string>;
  /** camelCase query parameters: undefined/null dropped, `Date` as RFC3339, booleans as text. */
  query?: object | undefined;
  /** camelCase JSON body. */
  body?: unknown;
  accept?: string;
}

/** How {@link NovaVMS.openStream} opens a stream. */
export interface StreamOpenOptions {
  signal: AbortSignal;
  /** Send the client's token (and default headers); false when a ticket in the query stands for it. */
  credentials: boolean;
  headers?: Record<string, string>;
}

/** A successful answer whose body the caller reads; `done()` ends its timeout. */
export interface Answer {
  response: Response;
  done(): void;
  /** Why the body failed to read: the timeout, the caller's abort or the connection. */
  bodyError(cause: unknown): NovaVMSError;
}

/**
 * The NovaVMS Events API client. Its resources:
 *
 * - `events` ({@link Events}): `list`, `get`, `update`, `delete`, `export`, `exportStream`,
 *   `batchUpdate`, `batchDelete`, `listDeleted`, `restore`, `history`, `changes` (the change feed),
 *   `stream` (the live stream of changes, resumed across drops) and `streamTicket`;
 *   for recording gateways (an ingest key): `upsert`, `ingest` (any number of events, 500 a
 *   request), `uploadUrls` and `uploadMedia` (uploads a snapshot and clip, returns their object names).
 * - `keys` ({@link Keys}): `create`, `list`, `revoke`.
 * - `webhookEndpoints` ({@link WebhookEndpoints}): `create`, `list`, `get`, `update`, `delete`, `test`,
 *   `deliveries`, `resend`, `replay`, `rotateSecret`.
 * - `eventTypes` ({@link EventTypes}): `list`, the catalogue of message types.
 *
 * ```ts
 * import NovaVMS from 'novavms';
 * const novavms = new NovaVMS({ apiKey: 'sk_live_...', baseUrl: 'https://events.example.com' });
 * const page = await novavms.events.list({ triggerType: 'ai_tag', dateFrom: '2026-04-20' }); // page.data: one page
 * for await (const event of novavms.events.list({ triggerType: 'ai_tag' })) console.log(event.id); // every page
 * ```
 */
export class NovaVMS {
  readonly baseUrl: string;
  readonly timeout: number;
  readonly maxRetries: number;
  /** The org's events: list (awaitable for a page, `for await` for every item), get, update, delete, export, batch, trash, restore, history, changes; upsert, ingest and media uploads. */
  readonly events: Events;
  /** The org's API keys: create, list, revoke (an admin user's JWT). */
  readonly keys: Keys;
  /** The org's webhook endpoints: create, list, get, update, delete, test (admin). */
  readonly webhookEndpoints: WebhookEndpoints;
  /** The catalogue of message types and their JSON Schemas. */
  readonly eventTypes: EventTypes;
  readonly #apiKey: string;
  readonly #defaultHeaders: Record<string, string>;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions = {}) {
    const apiKey = options.apiKey ?? readEnv("NOVAVMS_API_KEY");
    if (!apiKey) {
      throw new NovaVMSError("Missing credentials: pass apiKey (an API key or a JWT) or set NOVAVMS_API_KEY.");
    }
    if (isBrowser() && apiKey.startsWith("sk_") && !options.dangerouslyAllowBrowser) {
      throw new NovaVMSError(
        "Refusing an sk_ API key in a browser: anyone who loads the page can read it. Use a user's JWT, " +
          "or pass dangerouslyAllowBrowser: true if you understand the risk.",
      );
    }
    const baseUrl = options.baseUrl ?? readEnv("NOVAVMS_BASE_URL") ?? pageOrigin();
    if (!baseUrl) {
      throw new NovaVMSError("Missing baseUrl: pass baseUrl (the gateway's URL) or set NOVAVMS_BASE_URL.");
    }
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== "function") {
      throw new NovaVMSError("No fetch: this platform has none (Node 18+ and browsers do); pass options.fetch.");
    }
    this.#apiKey = apiKey;
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.#defaultHeaders = { ...options.defaultHeaders };
    // Called unbound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
    this.#fetch = (input, init) => fetchImpl(input, init);
    this.events = new Events(this);
    this.keys = new Keys(this);
    this.webhookEndpoints = new WebhookEndpoints(this);
    this.eventTypes = new EventTypes(this);
  }

  /** Calls an operation and returns its JSON body (undefined for 204), throwing a typed error otherwise. */
  async requestJson(operation: OperationId, request: ApiRequest, options: RequestOptions = {}): Promise<unknown> {
    const answer = await this.request(operation, request, options);
    try {
      const text = await answer.response.text();
      return text === "" ? undefined : (JSON.parse(text) as unknown);
    } catch (error) {
      throw error instanceof SyntaxError ? new NovaVMSError(`invalid JSON from the API: ${error.message}`) : answer.bodyError(error);
    } finally {
      answer.done();
    }
  }

  /**
   * Sends an operation with retries and returns the successful answer (its body unread), or throws
   * the typed error of the last attempt. Every POST/PUT/PATCH/DELETE carries one Idempotency-Key
   * (the caller's, else a new uuid) reused by all its retries.
   */
  async request(operation: OperationId, request: ApiRequest, options: RequestOptions = {}): Promise<Answer> {
    const { method } = OPERATIONS[operation];
    const url = this.#url(operationPath(operation, request.pathParams), request.query);
    const headers = this.#headers(request, options);
    if (method !== "GET") headers["Idempotency-Key"] = options.idempotencyKey ?? uuid4();
    const init: RequestInit = { method, headers };
    if (request.body !== undefined) init.body = JSON.stringify(toSnake(request.body));
    return this.#retrying(url, init, options, (status, headers, text) =>
      errorFromAnswer({ status, headers, body: parsedOrText(text) }),
    );
  }

  /**
   * One attempt at a streaming GET of `operation` (no retries and no overall timeout: the caller
   * reads the body, watches it for silence and aborts it with `signal`). Without `credentials` it
   * sends no Authorization and only CORS-safelisted headers (a ticket in the query stands for the
   * token). The answer, whatever its status; a network failure throws {@link APIConnectionError}.
   */
  async openStream(operation: OperationId, request: ApiRequest, options: StreamOpenOptions): Promise<Response> {
    const path = operationPath(operation, request.pathParams);
    const accept = request.accept ?? "application/json";
    const headers = options.credentials ? { ...this.#headers(request, {}), ...options.headers } : { Accept: accept };
    try {
      return await this.#fetch(this.#url(path, request.query), { method: "GET", headers, signal: options.signal });
    } catch (error) {
      if (options.signal.aborted) throw new APIUserAbortError(error);
      // The URL is not quoted: its query may hold a ticket.
      const detail = error instanceof Error ? `${error.message}${causeText(error)}` : String(error);
      throw new APIConnectionError(`GET ${path} failed: ${detail}`, error);
    }
  }

  /**
   * PUTs `body` to a signed upload URL (`events.uploadUrls`) with exactly the headers it was signed
   * with: never the API key, nor the client's default headers. Retried as any call; a refusal of
   * the storage throws {@link UploadError}.
   */
  async upload(target: UploadTarget, body: Blob | Uint8Array, options: RequestOptions = {}): Promise<void> {
    const init: RequestInit = { method: target.method, headers: { ...target.headers }, body: body as BodyInit };
    const answer = await this.#retrying(target.url, init, options, (status, _headers, text) => new UploadError(status, text));
    answer.done();
    await answer.response.body?.cancel().catch(() => undefined);
  }

  /**
   * The successful answer of `init` sent to `url`, after the retries of the client's policy
   * (429, 409 in flight, 502/503/504, network errors, timeouts); else `failure` of the last answer
   * (its status, headers and body text), or the connection error.
   */
  async #retrying(
    url: string,
    init: RequestInit,
    options: RequestOptions,
    failure: (status: number, headers: Headers, text: string) => NovaVMSError,
  ): Promise<Answer> {
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const timeout = options.timeout ?? this.timeout;
    for (let retry = 0; ; retry++) {
      let answer: Answer;
      try {
        answer = await this.#attempt(url, init, timeout, options.signal);
      } catch (error) {
        if (error instanceof APIConnectionError && retry < maxRetries) {
          await this.#wait(retryDelayMs(retry), options.signal);
          continue;
        }
        throw error;
      }
      const { response } = answer;
      if (response.ok) return answer;
      if (retry < maxRetries && isRetryableStatus(response.status, response.headers)) {
        answer.done();
        await response.body?.cancel().catch(() => undefined);
        await this.#wait(retryDelayMs(retry, response.headers), options.signal);
        continue;
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw answer.bodyError(error);
      } finally {
        answer.done();
      }
      throw failure(response.status, response.headers, text);
    }
  }

  /** One fetch with its own timeout, linked to the caller's signal. */
  async #attempt(url: string, init: RequestInit, timeout: number, signal: AbortSignal | undefined): Promise<Answer> {
    if (signal?.aborted) throw new APIUserAbortError(signal.reason);
    const controller = new AbortController();
    let timedOut = false;
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeout);
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const failure = (cause: unknown, what: string): NovaVMSError => {
      if (signal?.aborted) return new APIUserAbortError(cause);
      if (timedOut) return new APITimeoutError(`${what} timed out after ${timeout} ms.`, cause);
      const detail = cause instanceof Error ? `${cause.message}${causeText(cause)}` : String(cause);
      return new APIConnectionError(`${what} failed: ${detail}`, cause);
    };
    try {
      const response = await this.#fetch(url, { ...init, signal: controller.signal });
      return { response, done, bodyError: (cause) => failure(cause, "Reading the answer") };
    } catch (error) {
      done();
      throw failure(error, `${init.method} ${url}`);
    }
  }

  async #wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch (reason) {
      throw new APIUserAbortError(reason);
    }
  }

  #url(path: string, query: object | undefined): string {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries((toSnake(query ?? {}) as Record<string, unknown>))) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item === undefined || item === null) continue;
        url.searchParams.append(name, item instanceof Date ? item.toISOString() : String(item));
      }
    }
    return url.toString();
  }

  #headers(request: ApiRequest, options: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: request.accept ?? "application/json",
      Authorization: `Bearer ${this.#apiKey}`,
    };
    if (request.body !== undefined) headers["Content-Type"] = "application/json";
    const node = nodeDescription();
    if (node) {
      // Browsers forbid setting User-Agent, and the gateway's CORS preflight allows no custom header.
      headers["User-Agent"] = `${CLIENT_NAME} (${node})`;
      headers["X-NovaVMS-Client"] = CLIENT_NAME;
    }
    return { ...headers, ...this.#defaultHeaders, ...options.headers };
  }
}

/** An error answer's body: its JSON (the error envelope), else its text. */
export function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function causeText(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? ` (${cause.message})` : "";
}

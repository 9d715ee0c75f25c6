/** The client: options, authentication and the one request path every method goes through. */
import { NovaVMSError } from "./errors.js";
import { type OperationId } from "./operations.js";
import { Events } from "./resources/events.js";
import { Keys } from "./resources/keys.js";
import { EventTypes } from "./resources/event-types.js";
import { WebhookEndpoints } from "./resources/webhook-endpoints.js";
import type { RequestOptions, UploadTarget } from "./types.js";
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
export declare const DEFAULT_TIMEOUT_MS = 60000;
export declare const DEFAULT_MAX_RETRIES = 2;
export declare const CLIENT_NAME = "novavms-js/0.1.0";
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
export declare class NovaVMS {
    #private;
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
    constructor(options?: ClientOptions);
    /** Calls an operation and returns its JSON body (undefined for 204), throwing a typed error otherwise. */
    requestJson(operation: OperationId, request: ApiRequest, options?: RequestOptions): Promise<unknown>;
    /**
     * Sends an operation with retries and returns the successful answer (its body unread), or throws
     * the typed error of the last attempt. Every POST/PUT/PATCH/DELETE carries one Idempotency-Key
     * (the caller's, else a new uuid) reused by all its retries.
     */
    request(operation: OperationId, request: ApiRequest, options?: RequestOptions): Promise<Answer>;
    /**
     * One attempt at a streaming GET of `operation` (no retries and no overall timeout: the caller
     * reads the body, watches it for silence and aborts it with `signal`). Without `credentials` it
     * sends no Authorization and only CORS-safelisted headers (a ticket in the query stands for the
     * token). The answer, whatever its status; a network failure throws {@link APIConnectionError}.
     */
    openStream(operation: OperationId, request: ApiRequest, options: StreamOpenOptions): Promise<Response>;
    /**
     * PUTs `body` to a signed upload URL (`events.uploadUrls`) with exactly the headers it was signed
     * with: never the API key, nor the client's default headers. Retried as any call; a refusal of
     * the storage throws {@link UploadError}.
     */
    upload(target: UploadTarget, body: Blob | Uint8Array, options?: RequestOptions): Promise<void>;
}
/** An error answer's body: its JSON (the error envelope), else its text. */
export declare function parsedOrText(text: string): unknown;

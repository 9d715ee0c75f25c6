/**
 * The errors the client throws: all are {@link NovaVMSError}. An HTTP error answer is an
 * {@link APIError} subclass chosen by its status (and the contract's `error` code); a request
 * that got no answer is an {@link APIConnectionError} ({@link APITimeoutError} when it timed out).
 */
import type { IngestResult } from "./types.js";
/** The base of every error this client throws. */
export declare class NovaVMSError extends Error {
    /** The HTTP status, when the server answered. */
    readonly status: number | undefined;
    /** The contract's machine-readable code (`not_found`, `rate_limited`, ...), when known. */
    readonly code: string | undefined;
    /** The request id (X-Request-Id) to quote to support, when the server answered. */
    readonly requestId: string | undefined;
    constructor(message: string, init?: {
        status?: number | undefined;
        code?: string | undefined;
        requestId?: string | undefined;
        cause?: unknown;
    });
}
/** What the server said, as the client read it. */
export interface ErrorAnswer {
    status: number;
    headers: Headers;
    /** The parsed error envelope (`{error, message, fields?, request_id}`), or the raw text. */
    body: unknown;
}
/** An error answer of the API (any non-2xx status). */
export declare class APIError extends NovaVMSError {
    readonly status: number;
    readonly code: string;
    /** The answer's headers. */
    readonly headers: Headers;
    /** The answer's body: the parsed error envelope (keys as sent), or its text when not JSON. */
    readonly body: unknown;
    constructor(answer: ErrorAnswer);
}
/** 400 `validation_error`: the server refused a value; `fields` names each bad one. */
export declare class ValidationError extends APIError {
    /** Each bad field (query parameter, body field or header, as the API names it) and its problem. */
    readonly fields: Readonly<Record<string, string>>;
    constructor(answer: ErrorAnswer);
}
/** 401 `auth_required`: no, an invalid, expired or revoked key or token. */
export declare class AuthenticationError extends APIError {
}
/** 403 `forbidden`: the caller's role or sites do not allow this. */
export declare class PermissionDeniedError extends APIError {
}
/** 404 `not_found`: no such event or key for this org (or it was deleted). */
export declare class NotFoundError extends APIError {
}
/** 405 `method_not_allowed`. */
export declare class MethodNotAllowedError extends APIError {
}
/** 409 `conflict`: the same Idempotency-Key is still executing (retried when it has Retry-After). */
export declare class ConflictError extends APIError {
}
/**
 * 410 `gone`: the change feed's cursor (or `since`) is older than the changes the server keeps;
 * read again from the oldest kept (no cursor) and resync what may have been missed.
 */
export declare class GoneError extends APIError {
}
/** 413 `payload_too_large`: a body over the limit, or an export matching more rows than the cap. */
export declare class PayloadTooLargeError extends APIError {
}
/** 429 `rate_limited`: over the rate budget; `retryAfter` is the wait the server asked for. */
export declare class RateLimitError extends APIError {
    /** Seconds to wait before retrying (the Retry-After header), when given. */
    readonly retryAfter: number | undefined;
    constructor(answer: ErrorAnswer);
}
/** 500 `internal` (and any other 5xx but 503). */
export declare class InternalServerError extends APIError {
}
/** 503 `unavailable`: try again later; `retryAfter` is the wait the server asked for. */
export declare class ServiceUnavailableError extends APIError {
    /** Seconds to wait before retrying (the Retry-After header), when given. */
    readonly retryAfter: number | undefined;
    constructor(answer: ErrorAnswer);
}
/**
 * Cloud Storage refused an upload to a signed URL (`events.uploadMedia`): `status` is its HTTP
 * status, the message its error text. A 400 or 403 there means the URL expired or the bytes broke
 * what it binds (content type, size range): ask for new upload URLs.
 */
export declare class UploadError extends NovaVMSError {
    readonly status: number;
    /** The answer's body as text (Cloud Storage's XML error). */
    readonly body: string;
    constructor(status: number, body: string);
}
/**
 * An ingest sent in several requests stopped: the request carrying the events from input position
 * `sent` on failed with `error` (also `cause`; its `status` and `code` are this error's) after the
 * earlier requests were written. `result` reports those first `sent` events. Ingest is idempotent
 * by id: sending the events again, or those from `sent` on, is safe.
 */
export declare class IngestIncompleteError extends NovaVMSError {
    readonly error: NovaVMSError;
    readonly result: IngestResult;
    readonly sent: number;
    constructor(error: NovaVMSError, result: IngestResult, sent: number);
}
/** No answer: the connection failed or broke (a cut export stream too). */
export declare class APIConnectionError extends NovaVMSError {
    constructor(message?: string, cause?: unknown);
}
/** No answer within the timeout (after the retries). */
export declare class APITimeoutError extends APIConnectionError {
    constructor(message?: string, cause?: unknown);
}
/** The caller's AbortSignal aborted the call. */
export declare class APIUserAbortError extends NovaVMSError {
    constructor(cause?: unknown);
}
/** The error class for an HTTP error answer. */
export declare function errorFromAnswer(answer: ErrorAnswer): APIError;
/** The Retry-After header in seconds (delta-seconds or an HTTP date), when present and sane. */
export declare function retryAfterSeconds(headers: Headers): number | undefined;

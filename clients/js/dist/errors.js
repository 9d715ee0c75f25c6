/**
 * The errors the client throws: all are {@link NovaVMSError}. An HTTP error answer is an
 * {@link APIError} subclass chosen by its status (and the contract's `error` code); a request
 * that got no answer is an {@link APIConnectionError} ({@link APITimeoutError} when it timed out).
 */
/** The base of every error this client throws. */
export class NovaVMSError extends Error {
    /** The HTTP status, when the server answered. */
    status;
    /** The contract's machine-readable code (`not_found`, `rate_limited`, ...), when known. */
    code;
    /** The request id (X-Request-Id) to quote to support, when the server answered. */
    requestId;
    constructor(message, init = {}) {
        super(message, init.cause === undefined ? undefined : { cause: init.cause });
        this.name = new.target.name;
        this.status = init.status;
        this.code = init.code;
        this.requestId = init.requestId;
    }
}
/** An error answer of the API (any non-2xx status). */
export class APIError extends NovaVMSError {
    /** The answer's headers. */
    headers;
    /** The answer's body: the parsed error envelope (keys as sent), or its text when not JSON. */
    body;
    constructor(answer) {
        const envelope = asEnvelope(answer.body);
        const code = envelope?.error ?? CODES_BY_STATUS[answer.status] ?? `http_${answer.status}`;
        const requestId = envelope?.request_id ?? answer.headers.get("x-request-id") ?? undefined;
        const message = envelope?.message ?? (typeof answer.body === "string" && answer.body ? answer.body : `HTTP ${answer.status}`);
        super(`${answer.status} ${code}: ${message}`, { status: answer.status, code, requestId });
        this.headers = answer.headers;
        this.body = answer.body;
    }
}
/** 400 `validation_error`: the server refused a value; `fields` names each bad one. */
export class ValidationError extends APIError {
    /** Each bad field (query parameter, body field or header, as the API names it) and its problem. */
    fields;
    constructor(answer) {
        super(answer);
        this.fields = asEnvelope(answer.body)?.fields ?? {};
    }
}
/** 401 `auth_required`: no, an invalid, expired or revoked key or token. */
export class AuthenticationError extends APIError {
}
/** 403 `forbidden`: the caller's role or sites do not allow this. */
export class PermissionDeniedError extends APIError {
}
/** 404 `not_found`: no such event or key for this org (or it was deleted). */
export class NotFoundError extends APIError {
}
/** 405 `method_not_allowed`. */
export class MethodNotAllowedError extends APIError {
}
/** 409 `conflict`: the same Idempotency-Key is still executing (retried when it has Retry-After). */
export class ConflictError extends APIError {
}
/**
 * 410 `gone`: the change feed's cursor (or `since`) is older than the changes the server keeps;
 * read again from the oldest kept (no cursor) and resync what may have been missed.
 */
export class GoneError extends APIError {
}
/** 413 `payload_too_large`: a body over the limit, or an export matching more rows than the cap. */
export class PayloadTooLargeError extends APIError {
}
/** 429 `rate_limited`: over the rate budget; `retryAfter` is the wait the server asked for. */
export class RateLimitError extends APIError {
    /** Seconds to wait before retrying (the Retry-After header), when given. */
    retryAfter;
    constructor(answer) {
        super(answer);
        this.retryAfter = retryAfterSeconds(answer.headers);
    }
}
/** 500 `internal` (and any other 5xx but 503). */
export class InternalServerError extends APIError {
}
/** 503 `unavailable`: try again later; `retryAfter` is the wait the server asked for. */
export class ServiceUnavailableError extends APIError {
    /** Seconds to wait before retrying (the Retry-After header), when given. */
    retryAfter;
    constructor(answer) {
        super(answer);
        this.retryAfter = retryAfterSeconds(answer.headers);
    }
}
/**
 * Cloud Storage refused an upload to a signed URL (`events.uploadMedia`): `status` is its HTTP
 * status, the message its error text. A 400 or 403 there means the URL expired or the bytes broke
 * what it binds (content type, size range): ask for new upload URLs.
 */
export class UploadError extends NovaVMSError {
    /** The answer's body as text (Cloud Storage's XML error). */
    body;
    constructor(status, body) {
        const message = /<Message>([\s\S]*?)<\/Message>/.exec(body)?.[1] ?? body.slice(0, 200);
        super(`upload refused: ${status}: ${message.trim() || `HTTP ${status}`}`, { status });
        this.body = body;
    }
}
/**
 * An ingest sent in several requests stopped: the request carrying the events from input position
 * `sent` on failed with `error` (also `cause`; its `status` and `code` are this error's) after the
 * earlier requests were written. `result` reports those first `sent` events. Ingest is idempotent
 * by id: sending the events again, or those from `sent` on, is safe.
 */
export class IngestIncompleteError extends NovaVMSError {
    error;
    result;
    sent;
    constructor(error, result, sent) {
        super(`ingest stopped after ${sent} events were written: ${error.message}`, {
            status: error.status,
            code: error.code,
            requestId: error.requestId,
            cause: error,
        });
        this.error = error;
        this.result = result;
        this.sent = sent;
    }
}
/** No answer: the connection failed or broke (a cut export stream too). */
export class APIConnectionError extends NovaVMSError {
    constructor(message = "Connection error.", cause) {
        super(message, { cause });
    }
}
/** No answer within the timeout (after the retries). */
export class APITimeoutError extends APIConnectionError {
    constructor(message = "Request timed out.", cause) {
        super(message, cause);
    }
}
/** The caller's AbortSignal aborted the call. */
export class APIUserAbortError extends NovaVMSError {
    constructor(cause) {
        super("Request was aborted.", { cause });
    }
}
const CODES_BY_STATUS = {
    400: "validation_error",
    401: "auth_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
};
/** The error class for an HTTP error answer. */
export function errorFromAnswer(answer) {
    const Class = classFor(answer.status);
    return new Class(answer);
}
function classFor(status) {
    switch (status) {
        case 400: return ValidationError;
        case 401: return AuthenticationError;
        case 403: return PermissionDeniedError;
        case 404: return NotFoundError;
        case 405: return MethodNotAllowedError;
        case 409: return ConflictError;
        case 410: return GoneError;
        case 413: return PayloadTooLargeError;
        case 429: return RateLimitError;
        case 503: return ServiceUnavailableError;
        default: return status >= 500 ? InternalServerError : APIError;
    }
}
function asEnvelope(body) {
    if (body === null || typeof body !== "object" || Array.isArray(body))
        return undefined;
    const raw = body;
    const envelope = {};
    if (typeof raw["error"] === "string")
        envelope.error = raw["error"];
    if (typeof raw["message"] === "string")
        envelope.message = raw["message"];
    if (typeof raw["request_id"] === "string")
        envelope.request_id = raw["request_id"];
    if (raw["fields"] && typeof raw["fields"] === "object")
        envelope.fields = raw["fields"];
    return envelope;
}
/** The Retry-After header in seconds (delta-seconds or an HTTP date), when present and sane. */
export function retryAfterSeconds(headers) {
    const value = headers.get("retry-after");
    if (value === null || value.trim() === "")
        return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds))
        return seconds >= 0 ? seconds : undefined;
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

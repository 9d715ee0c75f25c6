/** When to retry and how long to wait: the client's retry policy in one place. */
/** First backoff (seconds), doubled per retry up to {@link MAX_BACKOFF_SECONDS}. */
export declare const INITIAL_BACKOFF_SECONDS = 0.5;
export declare const MAX_BACKOFF_SECONDS = 8;
/** A Retry-After longer than this is waited this long. */
export declare const MAX_RETRY_AFTER_SECONDS = 60;
/**
 * Whether an answer is worth retrying: 429, 502, 503, 504, and 409 when it carries Retry-After
 * (the same Idempotency-Key still executing). Mutations are safe to retry because every one carries
 * an Idempotency-Key.
 */
export declare function isRetryableStatus(status: number, headers: Headers): boolean;
/**
 * Milliseconds to wait before retry number `retry` (0 for the first): the server's Retry-After
 * when given (capped at 60 s), else exponential backoff from 0.5 s up to 8 s with jitter
 * (a random 0-25% less).
 */
export declare function retryDelayMs(retry: number, headers?: Headers): number;

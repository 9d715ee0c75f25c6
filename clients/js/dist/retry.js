/** When to retry and how long to wait: the client's retry policy in one place. */
import { retryAfterSeconds } from "./errors.js";
/** First backoff (seconds), doubled per retry up to {@link MAX_BACKOFF_SECONDS}. */
export const INITIAL_BACKOFF_SECONDS = 0.5;
export const MAX_BACKOFF_SECONDS = 8;
/** A Retry-After longer than this is waited this long. */
export const MAX_RETRY_AFTER_SECONDS = 60;
/**
 * Whether an answer is worth retrying: 429, 502, 503, 504, and 409 when it carries Retry-After
 * (the same Idempotency-Key still executing). Mutations are safe to retry because every one carries
 * an Idempotency-Key.
 */
export function isRetryableStatus(status, headers) {
    if (status === 409)
        return headers.has("retry-after");
    return status === 429 || status === 502 || status === 503 || status === 504;
}
/**
 * Milliseconds to wait before retry number `retry` (0 for the first): the server's Retry-After
 * when given (capped at 60 s), else exponential backoff from 0.5 s up to 8 s with jitter
 * (a random 0-25% less).
 */
export function retryDelayMs(retry, headers) {
    const asked = headers ? retryAfterSeconds(headers) : undefined;
    if (asked !== undefined)
        return Math.min(asked, MAX_RETRY_AFTER_SECONDS) * 1000;
    const backoff = Math.min(INITIAL_BACKOFF_SECONDS * 2 ** retry, MAX_BACKOFF_SECONDS);
    return backoff * (1 - Math.random() * 0.25) * 1000;
}

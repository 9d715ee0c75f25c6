/**
 * Verifying the webhooks NovaVMS Events sends (the Standard Webhooks scheme), in Node 18+ and any
 * runtime with WebCrypto.
 *
 * Each message carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`:
 * space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` values (more than one while a
 * secret is rotated). The key is the endpoint's secret, `whsec_` + base64, as creation answered it.
 *
 * ```ts
 * import { Webhook } from 'novavms';
 * const payload = await new Webhook('whsec_...').verify(rawBody, request.headers);
 * ```
 *
 * Verify the body exactly as received (the raw text or bytes, before any JSON parsing).
 */
import { NovaVMSError } from "./errors.js";
/** How far a message's `webhook-timestamp` may be from now, either way. */
export declare const WEBHOOK_TOLERANCE_SECONDS: number;
/** The message is not proven to come from NovaVMS Events: a header is missing, no signature
 * matches, or its timestamp is more than five minutes away from now. */
export declare class WebhookVerificationError extends NovaVMSError {
}
/** A message as sent: `type` (`event.created`, ...), `timestamp` of the change, and the change as
 * `GET /api/v1/events/changes` shows it (keys as on the wire, snake_case). */
export interface WebhookMessage {
    type: string;
    timestamp: string;
    data: Record<string, unknown>;
    [key: string]: unknown;
}
/** A request's headers: a fetch `Headers`, or Node's `IncomingMessage.headers` (any case). */
export type WebhookHeaders = {
    get(name: string): string | null;
} | Record<string, string | readonly string[] | undefined>;
/** The raw body: its text, or its bytes (a Node `Buffer` is a `Uint8Array`). */
export type WebhookBody = string | Uint8Array | ArrayBuffer;
/** The verifier of one endpoint's messages, holding its secret. */
export declare class Webhook {
    #private;
    /** `secret`: the endpoint's `whsec_...` secret (or its raw key bytes). */
    constructor(secret: string | Uint8Array);
    /** The `v1,<base64>` signature of `body` sent as `webhookId` at `timestamp` (Unix seconds). */
    sign(webhookId: string, timestamp: number, body: WebhookBody): Promise<string>;
    /**
     * The message's payload once its signature and timestamp hold; rejects with
     * {@link WebhookVerificationError} otherwise.
     */
    verify(body: WebhookBody, headers: WebhookHeaders): Promise<WebhookMessage>;
}

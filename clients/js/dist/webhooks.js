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
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
const SECRET_PREFIX = "whsec_";
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** The message is not proven to come from NovaVMS Events: a header is missing, no signature
 * matches, or its timestamp is more than five minutes away from now. */
export class WebhookVerificationError extends NovaVMSError {
}
function header(headers, name) {
    if (typeof headers.get === "function")
        return headers.get(name)?.trim() ?? "";
    for (const [key, value] of Object.entries(headers)) {
        if (key.toLowerCase() !== name)
            continue;
        const text = Array.isArray(value) ? value.join(" ") : value;
        return typeof text === "string" ? text.trim() : "";
    }
    return "";
}
function bytesOf(body) {
    if (typeof body === "string")
        return new TextEncoder().encode(body);
    return body instanceof Uint8Array ? body : new Uint8Array(body);
}
function decodeBase64(text) {
    const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
    if (!BASE64.test(padded))
        return undefined;
    try {
        return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
    }
    catch {
        return undefined;
    }
}
function encodeBase64(bytes) {
    let binary = "";
    for (const byte of bytes)
        binary += String.fromCharCode(byte);
    return btoa(binary);
}
/** Equal contents, in time that depends on the length only. */
function constantTimeEqual(a, b) {
    if (a.length !== b.length)
        return false;
    let difference = 0;
    for (let i = 0; i < a.length; i++)
        difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
    return difference === 0;
}
/** WebCrypto: the global one (browsers, Node 19+), else Node 18's `node:crypto` webcrypto. */
async function subtleCrypto() {
    const global = globalThis.crypto;
    if (global?.subtle)
        return global.subtle;
    const specifier = "node:crypto"; // not a literal: bundlers for the browser leave it alone
    const node = (await import(specifier));
    if (node.webcrypto?.subtle)
        return node.webcrypto.subtle;
    throw new NovaVMSError("webhook verification needs WebCrypto (crypto.subtle), which this runtime lacks");
}
/** The verifier of one endpoint's messages, holding its secret. */
export class Webhook {
    #key;
    /** `secret`: the endpoint's `whsec_...` secret (or its raw key bytes). */
    constructor(secret) {
        let key;
        if (typeof secret === "string") {
            key = decodeBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
            if (key === undefined)
                throw new TypeError("a webhook secret is 'whsec_' followed by base64");
        }
        else {
            key = Uint8Array.from(secret);
        }
        if (key.length === 0)
            throw new TypeError("the webhook secret is empty");
        this.#key = key;
    }
    async #mac(webhookId, timestamp, body) {
        const subtle = await subtleCrypto();
        const key = await subtle.importKey("raw", this.#key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
        const prefix = new TextEncoder().encode(`${webhookId}.${timestamp}.`);
        const content = bytesOf(body);
        const signed = new Uint8Array(prefix.length + content.length);
        signed.set(prefix);
        signed.set(content, prefix.length);
        return new Uint8Array(await subtle.sign("HMAC", key, signed));
    }
    /** The `v1,<base64>` signature of `body` sent as `webhookId` at `timestamp` (Unix seconds). */
    async sign(webhookId, timestamp, body) {
        return `v1,${encodeBase64(await this.#mac(webhookId, timestamp, body))}`;
    }
    /**
     * The message's payload once its signature and timestamp hold; rejects with
     * {@link WebhookVerificationError} otherwise.
     */
    async verify(body, headers) {
        const webhookId = header(headers, "webhook-id");
        const sentAt = header(headers, "webhook-timestamp");
        const signatures = header(headers, "webhook-signature");
        const missing = Object.entries({ "webhook-id": webhookId, "webhook-timestamp": sentAt, "webhook-signature": signatures })
            .filter(([, value]) => !value)
            .map(([name]) => name);
        if (missing.length)
            throw new WebhookVerificationError(`missing header ${missing.join(", ")}`);
        if (!/^[0-9]+$/.test(sentAt))
            throw new WebhookVerificationError("webhook-timestamp is not Unix seconds");
        const timestamp = Number(sentAt);
        const now = Date.now() / 1000;
        if (timestamp < now - WEBHOOK_TOLERANCE_SECONDS)
            throw new WebhookVerificationError("webhook-timestamp is more than 5 minutes old");
        if (timestamp > now + WEBHOOK_TOLERANCE_SECONDS) {
            throw new WebhookVerificationError("webhook-timestamp is more than 5 minutes in the future");
        }
        const expected = await this.#mac(webhookId, timestamp, body);
        let matched = false;
        for (const candidate of signatures.split(" ")) {
            if (!candidate.startsWith("v1,"))
                continue; // another scheme's signature, not ours to judge
            const given = decodeBase64(candidate.slice(3));
            if (given !== undefined && constantTimeEqual(expected, given))
                matched = true;
        }
        if (!matched)
            throw new WebhookVerificationError("no matching signature");
        let payload;
        try {
            payload = JSON.parse(new TextDecoder().decode(bytesOf(body)));
        }
        catch (error) {
            throw new WebhookVerificationError("the body is not JSON", { cause: error });
        }
        if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
            throw new WebhookVerificationError("the body is not a JSON object");
        }
        return payload;
    }
}

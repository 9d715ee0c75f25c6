import { toCamel } from "../case.js";
import { CursorPage, PagePromise } from "../pagination.js";
/**
 * `novavms.webhookEndpoints`: `create`, `list`, `get`, `update`, `delete` and `test` the org's
 * webhook endpoints (admin); read an endpoint's `deliveries`, `resend` a delivery, `replay` past
 * changes and `rotateSecret`. Verify what they receive with {@link Webhook}.
 */
export class WebhookEndpoints {
    #client;
    constructor(client) {
        this.#client = client;
    }
    /** Creates an endpoint; its `secret` is in this answer only. */
    async create(params, options) {
        return toCamel(await this.#client.requestJson("create_webhook_endpoint", { body: params }, options));
    }
    /**
     * The org's endpoints, newest first. Awaitable (one page) and async-iterable
     * (`for await (const endpoint of novavms.webhookEndpoints.list())`: every one, a request per page).
     */
    list(params = {}, options) {
        const fetchPage = async (query) => {
            const body = toCamel(await this.#client.requestJson("list_webhook_endpoints", { query }, options));
            return new CursorPage(body, (cursor) => fetchPage({ ...params, cursor }));
        };
        return new PagePromise(() => fetchPage(params));
    }
    /** One endpoint ({@link NotFoundError} when the org has none of that id). */
    async get(id, options) {
        return toCamel(await this.#client.requestJson("get_webhook_endpoint", { pathParams: { id } }, options));
    }
    /** Changes the fields given. */
    async update(id, params, options) {
        const answer = await this.#client.requestJson("update_webhook_endpoint", { pathParams: { id }, body: params }, options);
        return toCamel(answer);
    }
    /** Deletes an endpoint: it receives nothing more. */
    async delete(id, options) {
        await this.#client.requestJson("delete_webhook_endpoint", { pathParams: { id } }, options);
    }
    /** Sends the endpoint a `webhook.test` message now; answers its delivery's id. */
    async test(id, options) {
        return toCamel(await this.#client.requestJson("test_webhook_endpoint", { pathParams: { id } }, options));
    }
    /**
     * The endpoint's delivery log, newest first, every attempt with the first 1 KiB of its answer.
     * Awaitable (one page) and async-iterable (every delivery, a request per page).
     */
    deliveries(id, params = {}, options) {
        const fetchPage = async (query) => {
            const answer = await this.#client.requestJson("list_webhook_deliveries", { pathParams: { id }, query }, options);
            return new CursorPage(toCamel(answer), (cursor) => fetchPage({ ...params, cursor }));
        };
        return new PagePromise(() => fetchPage(params));
    }
    /** Sends a delivery again: a new attempt series with the same `webhook-id` and body. */
    async resend(deliveryId, options) {
        const answer = await this.#client.requestJson("resend_webhook_delivery", { pathParams: { id: deliveryId } }, options);
        return toCamel(answer);
    }
    /** New deliveries of the changes kept since `since` that the endpoint receives, each with its change's `webhook-id` (at most 10,000). */
    async replay(id, params, options) {
        const answer = await this.#client.requestJson("replay_webhook_endpoint", { pathParams: { id }, body: params }, options);
        return toCamel(answer);
    }
    /** A new signing secret (shown only here); during `graceSeconds` messages carry both signatures. */
    async rotateSecret(id, params = {}, options) {
        const answer = await this.#client.requestJson("rotate_webhook_secret", { pathParams: { id }, body: params }, options);
        return toCamel(answer);
    }
}

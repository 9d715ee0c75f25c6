import { toCamel } from "../case.js";
import { CursorPage, PagePromise } from "../pagination.js";
/**
 * `novavms.webhookEndpoints`: `create`, `list`, `get`, `update`, `delete` and `test` the org's
 * webhook endpoints (admin). Verify what they receive with {@link Webhook}.
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
}

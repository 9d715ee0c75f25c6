import { toCamel } from "../case.js";
import { CursorPage, PagePromise } from "../pagination.js";
/** `novavms.keys`: `create`, `list` and `revoke` the org's API keys (an admin user's JWT only). */
export class Keys {
    #client;
    constructor(client) {
        this.#client = client;
    }
    /** Creates a key; its `secret` is in this answer only (null when the answer is a replay). */
    async create(params, options) {
        return toCamel(await this.#client.requestJson("create_key", { body: params }, options));
    }
    /**
     * The org's keys, newest first, revoked ones included; never a secret. Awaitable (one page) and
     * async-iterable (`for await (const key of novavms.keys.list())`: every key, one request per page).
     */
    list(params = {}, options) {
        const fetchPage = async (query) => {
            const body = toCamel(await this.#client.requestJson("list_keys", { query }, options));
            return new CursorPage(body, (cursor) => fetchPage({ ...params, cursor }));
        };
        return new PagePromise(() => fetchPage(params));
    }
    /** Revokes a key. */
    async revoke(id, options) {
        await this.#client.requestJson("revoke_key", { pathParams: { id } }, options);
    }
}

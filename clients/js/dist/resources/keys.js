import { toCamel } from "../case.js";
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
    /** The org's keys, newest first, revoked ones included; never a secret. */
    async list(options) {
        return toCamel(await this.#client.requestJson("list_keys", {}, options));
    }
    /** Revokes a key. */
    async revoke(id, options) {
        await this.#client.requestJson("revoke_key", { pathParams: { id } }, options);
    }
}

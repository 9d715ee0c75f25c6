import { toCamel } from "../case.js";
import type { NovaVMS } from "../client.js";
import type { ApiKeyCreated, ApiKeyList, KeyCreateParams, RequestOptions } from "../types.js";

/** `novavms.keys`: `create`, `list` and `revoke` the org's API keys (an admin user's JWT only). */
export class Keys {
  readonly #client: NovaVMS;

  constructor(client: NovaVMS) {
    this.#client = client;
  }

  /** Creates a key; its `secret` is in this answer only (null when the answer is a replay). */
  async create(params: KeyCreateParams, options?: RequestOptions): Promise<ApiKeyCreated> {
    return toCamel<ApiKeyCreated>(await this.#client.requestJson("create_key", { body: params }, options));
  }

  /** The org's keys, newest first, revoked ones included; never a secret. */
  async list(options?: RequestOptions): Promise<ApiKeyList> {
    return toCamel<ApiKeyList>(await this.#client.requestJson("list_keys", {}, options));
  }

  /** Revokes a key. */
  async revoke(id: string, options?: RequestOptions): Promise<void> {
    await this.#client.requestJson("revoke_key", { pathParams: { id } }, options);
  }
}

import { toCamel } from "../case.js";
import type { NovaVMS } from "../client.js";
import { CursorPage, PagePromise } from "../pagination.js";
import type {
  ApiKey,
  ApiKeyCreated,
  ApiKeyList,
  KeyCreateParams,
  KeyListParams,
  RequestOptions,
} from "../types.js";

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

  /**
   * The org's keys, newest first, revoked ones included; never a secret. Awaitable (one page) and
   * async-iterable (`for await (const key of novavms.keys.list())`: every key, one request per page).
   */
  list(params: KeyListParams = {}, options?: RequestOptions): PagePromise<ApiKey, CursorPage<ApiKey>> {
    const fetchPage = async (query: KeyListParams): Promise<CursorPage<ApiKey>> => {
      const body = toCamel<ApiKeyList>(await this.#client.requestJson("list_keys", { query }, options));
      return new CursorPage(body, (cursor) => fetchPage({ ...params, cursor }));
    };
    return new PagePromise(() => fetchPage(params));
  }

  /** Revokes a key. */
  async revoke(id: string, options?: RequestOptions): Promise<void> {
    await this.#client.requestJson("revoke_key", { pathParams: { id } }, options);
  }
}

import type { NovaVMS } from "../client.js";
import { CursorPage, PagePromise } from "../pagination.js";
import type { ApiKey, ApiKeyCreated, KeyCreateParams, KeyListParams, RequestOptions } from "../types.js";
/** `novavms.keys`: `create`, `list` and `revoke` the org's API keys (an admin user's JWT only). */
export declare class Keys {
    #private;
    constructor(client: NovaVMS);
    /** Creates a key; its `secret` is in this answer only (null when the answer is a replay). */
    create(params: KeyCreateParams, options?: RequestOptions): Promise<ApiKeyCreated>;
    /**
     * The org's keys, newest first, revoked ones included; never a secret. Awaitable (one page) and
     * async-iterable (`for await (const key of novavms.keys.list())`: every key, one request per page).
     */
    list(params?: KeyListParams, options?: RequestOptions): PagePromise<ApiKey, CursorPage<ApiKey>>;
    /** Revokes a key. */
    revoke(id: string, options?: RequestOptions): Promise<void>;
}

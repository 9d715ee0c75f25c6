import type { NovaVMS } from "../client.js";
import { CursorPage, PagePromise } from "../pagination.js";
import type { RequestOptions, TriggerType } from "../types.js";
/** A change type an endpoint receives; `*` is every one. */
export type WebhookEventType = "event.created" | "event.updated" | "event.deleted" | "event.restored" | "*";
/** Which changes an endpoint receives beyond its types (schema `WebhookFilter`): each list given must hold the change's value. */
export interface WebhookFilter {
    siteIds?: string[];
    cameraIds?: string[];
    triggerTypes?: TriggerType[];
}
/** A webhook endpoint as listed: never its secret (schema `WebhookEndpoint`). */
export interface WebhookEndpoint {
    id: string;
    url: string;
    eventTypes: WebhookEventType[];
    filter: WebhookFilter;
    description: string | null;
    status: "enabled" | "disabled";
    /** Why the endpoint is disabled (an admin did, or it answered 410 Gone); null when enabled. */
    disabledReason: string | null;
    createdAt: string;
    updatedAt: string;
}
/** An endpoint just created, with its signing secret shown this once (schema `WebhookEndpointCreated`). */
export interface WebhookEndpointCreated extends WebhookEndpoint {
    /** `whsec_...`, for `new Webhook(secret).verify(...)`; null when this answer replays the creation. */
    secret: string | null;
}
/** One page of the org's endpoints, newest first (schema `WebhookEndpointList`). */
export interface WebhookEndpointList {
    data: WebhookEndpoint[];
    nextCursor: string | null;
}
/** A `webhook.test` message on its way (schema `WebhookTestQueued`). */
export interface WebhookTestQueued {
    deliveryId: string;
}
/** `webhookEndpoints.create` body (schema `WebhookEndpointRequest`). */
export interface WebhookEndpointCreateParams {
    /** https, no credentials, a host with public addresses only (400 `validation_error` naming `url` otherwise). */
    url: string;
    eventTypes: WebhookEventType[];
    filter?: WebhookFilter | null;
    description?: string | null;
}
/** `webhookEndpoints.update` body (schema `WebhookEndpointPatch`): the fields to change. */
export interface WebhookEndpointUpdateParams {
    url?: string;
    eventTypes?: WebhookEventType[];
    /** Replaces the whole filter (null: none). */
    filter?: WebhookFilter | null;
    description?: string | null;
    /** `enabled` turns a disabled endpoint back on and clears `disabledReason`. */
    status?: "enabled" | "disabled";
}
/** `webhookEndpoints.list` query: the page size (1-100, default 20) and the cursor of a previous page. */
export interface WebhookEndpointListParams {
    limit?: number;
    cursor?: string;
}
/**
 * `novavms.webhookEndpoints`: `create`, `list`, `get`, `update`, `delete` and `test` the org's
 * webhook endpoints (admin). Verify what they receive with {@link Webhook}.
 */
export declare class WebhookEndpoints {
    #private;
    constructor(client: NovaVMS);
    /** Creates an endpoint; its `secret` is in this answer only. */
    create(params: WebhookEndpointCreateParams, options?: RequestOptions): Promise<WebhookEndpointCreated>;
    /**
     * The org's endpoints, newest first. Awaitable (one page) and async-iterable
     * (`for await (const endpoint of novavms.webhookEndpoints.list())`: every one, a request per page).
     */
    list(params?: WebhookEndpointListParams, options?: RequestOptions): PagePromise<WebhookEndpoint, CursorPage<WebhookEndpoint>>;
    /** One endpoint ({@link NotFoundError} when the org has none of that id). */
    get(id: string, options?: RequestOptions): Promise<WebhookEndpoint>;
    /** Changes the fields given. */
    update(id: string, params: WebhookEndpointUpdateParams, options?: RequestOptions): Promise<WebhookEndpoint>;
    /** Deletes an endpoint: it receives nothing more. */
    delete(id: string, options?: RequestOptions): Promise<void>;
    /** Sends the endpoint a `webhook.test` message now; answers its delivery's id. */
    test(id: string, options?: RequestOptions): Promise<WebhookTestQueued>;
}

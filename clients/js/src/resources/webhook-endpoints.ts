import { toCamel } from "../case.js";
import type { NovaVMS } from "../client.js";
import { CursorPage, PagePromise } from "../pagination.js";
import type { ChangeType, RequestOptions, TriggerType } from "../types.js";

/** A change type an endpoint receives; `*` is every one. */
export type WebhookEventType =
  | "event.created"
  | "event.updated"
  | "event.deleted"
  | "event.restored"
  | "webhook_endpoint.disabled"
  | "*";

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

/** A delivery's state: no attempt yet, failed and due again, a 2xx, or the schedule spent. */
export type WebhookDeliveryStatus = "pending" | "retrying" | "succeeded" | "failed";

/** One attempt of a delivery (schema `WebhookAttempt`). */
export interface WebhookAttempt {
  at: string;
  /** The receiver's status; null when none came (refused, unreachable, timed out). */
  statusCode: number | null;
  /** Why it failed; null for a 2xx. */
  error: string | null;
  durationMs: number;
  /** The first 1 KiB of the receiver's answer. */
  responseBody: string;
}

/** One message to one endpoint and every attempt of it, kept 30 days (schema `WebhookDelivery`). */
export interface WebhookDelivery {
  id: string;
  endpointId: string;
  /** The `webhook-id`: the same on every attempt, resend and replay. */
  messageId: string;
  type: ChangeType | "webhook.test";
  status: WebhookDeliveryStatus;
  attempts: WebhookAttempt[];
  nextAttemptAt: string | null;
  createdAt: string;
}

/** One page of an endpoint's deliveries, newest first (schema `WebhookDeliveryList`). */
export interface WebhookDeliveryList {
  data: WebhookDelivery[];
  nextCursor: string | null;
}

/** `webhookEndpoints.deliveries` query: page size (1-100, default 20), cursor, one status only. */
export interface WebhookDeliveryListParams {
  limit?: number;
  cursor?: string;
  status?: WebhookDeliveryStatus;
}

/** A delivery sent again (schema `WebhookResendQueued`). */
export interface WebhookResendQueued {
  deliveryId: string;
}

/** `webhookEndpoints.replay` body (schema `WebhookReplayRequest`). */
export interface WebhookReplayParams {
  /** RFC 3339, within the change log's retention (400 naming `since` otherwise). */
  since: string;
  /** RFC 3339, after `since` (default now). */
  until?: string;
  /** Only these change types (default all); the endpoint's own types and filter apply too. */
  types?: ChangeType[];
}

/** How many deliveries a replay made (schema `WebhookReplayScheduled`). */
export interface WebhookReplayScheduled {
  scheduled: number;
}

/** `webhookEndpoints.rotateSecret` body (schema `WebhookRotateRequest`). */
export interface WebhookRotateParams {
  /** How long the old secret still signs beside the new one, 0-604800 (default 86400). */
  graceSeconds?: number;
}

/** An endpoint's new signing secret, shown only here (schema `WebhookSecret`). */
export interface WebhookSecret {
  secret: string;
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
 * webhook endpoints (admin); read an endpoint's `deliveries`, `resend` a delivery, `replay` past
 * changes and `rotateSecret`. Verify what they receive with {@link Webhook}.
 */
export class WebhookEndpoints {
  readonly #client: NovaVMS;

  constructor(client: NovaVMS) {
    this.#client = client;
  }

  /** Creates an endpoint; its `secret` is in this answer only. */
  async create(params: WebhookEndpointCreateParams, options?: RequestOptions): Promise<WebhookEndpointCreated> {
    return toCamel<WebhookEndpointCreated>(await this.#client.requestJson("create_webhook_endpoint", { body: params }, options));
  }

  /**
   * The org's endpoints, newest first. Awaitable (one page) and async-iterable
   * (`for await (const endpoint of novavms.webhookEndpoints.list())`: every one, a request per page).
   */
  list(params: WebhookEndpointListParams = {}, options?: RequestOptions): PagePromise<WebhookEndpoint, CursorPage<WebhookEndpoint>> {
    const fetchPage = async (query: WebhookEndpointListParams): Promise<CursorPage<WebhookEndpoint>> => {
      const body = toCamel<WebhookEndpointList>(await this.#client.requestJson("list_webhook_endpoints", { query }, options));
      return new CursorPage(body, (cursor) => fetchPage({ ...params, cursor }));
    };
    return new PagePromise(() => fetchPage(params));
  }

  /** One endpoint ({@link NotFoundError} when the org has none of that id). */
  async get(id: string, options?: RequestOptions): Promise<WebhookEndpoint> {
    return toCamel<WebhookEndpoint>(await this.#client.requestJson("get_webhook_endpoint", { pathParams: { id } }, options));
  }

  /** Changes the fields given. */
  async update(id: string, params: WebhookEndpointUpdateParams, options?: RequestOptions): Promise<WebhookEndpoint> {
    const answer = await this.#client.requestJson("update_webhook_endpoint", { pathParams: { id }, body: params }, options);
    return toCamel<WebhookEndpoint>(answer);
  }

  /** Deletes an endpoint: it receives nothing more. */
  async delete(id: string, options?: RequestOptions): Promise<void> {
    await this.#client.requestJson("delete_webhook_endpoint", { pathParams: { id } }, options);
  }

  /** Sends the endpoint a `webhook.test` message now; answers its delivery's id. */
  async test(id: string, options?: RequestOptions): Promise<WebhookTestQueued> {
    return toCamel<WebhookTestQueued>(await this.#client.requestJson("test_webhook_endpoint", { pathParams: { id } }, options));
  }

  /**
   * The endpoint's delivery log, newest first, every attempt with the first 1 KiB of its answer.
   * Awaitable (one page) and async-iterable (every delivery, a request per page).
   */
  deliveries(
    id: string,
    params: WebhookDeliveryListParams = {},
    options?: RequestOptions,
  ): PagePromise<WebhookDelivery, CursorPage<WebhookDelivery>> {
    const fetchPage = async (query: WebhookDeliveryListParams): Promise<CursorPage<WebhookDelivery>> => {
      const answer = await this.#client.requestJson("list_webhook_deliveries", { pathParams: { id }, query }, options);
      return new CursorPage(toCamel<WebhookDeliveryList>(answer), (cursor) => fetchPage({ ...params, cursor }));
    };
    return new PagePromise(() => fetchPage(params));
  }

  /** Sends a delivery again: a new attempt series with the same `webhook-id` and body. */
  async resend(deliveryId: string, options?: RequestOptions): Promise<WebhookResendQueued> {
    const answer = await this.#client.requestJson("resend_webhook_delivery", { pathParams: { id: deliveryId } }, options);
    return toCamel<WebhookResendQueued>(answer);
  }

  /** New deliveries of the changes kept since `since` that the endpoint receives, each with its change's `webhook-id` (at most 10,000). */
  async replay(id: string, params: WebhookReplayParams, options?: RequestOptions): Promise<WebhookReplayScheduled> {
    const answer = await this.#client.requestJson("replay_webhook_endpoint", { pathParams: { id }, body: params }, options);
    return toCamel<WebhookReplayScheduled>(answer);
  }

  /** A new signing secret (shown only here); during `graceSeconds` messages carry both signatures. */
  async rotateSecret(id: string, params: WebhookRotateParams = {}, options?: RequestOptions): Promise<WebhookSecret> {
    const answer = await this.#client.requestJson("rotate_webhook_secret", { pathParams: { id }, body: params }, options);
    return toCamel<WebhookSecret>(answer);
  }
}

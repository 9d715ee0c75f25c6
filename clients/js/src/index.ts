/**
 * `novavms`: the NovaVMS Events API client for Node 18+ and browsers.
 *
 * ```ts
 * import NovaVMS from 'novavms';
 * const novavms = new NovaVMS({ apiKey: 'sk_live_...', baseUrl: 'https://events.example.com' });
 * ```
 */

import { NovaVMS } from "./client.js";

export { NovaVMS, CLIENT_NAME, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from "./client.js";
export type { ClientOptions } from "./client.js";
export {
  NovaVMSError,
  APIError,
  ValidationError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  MethodNotAllowedError,
  ConflictError,
  GoneError,
  PayloadTooLargeError,
  RateLimitError,
  InternalServerError,
  ServiceUnavailableError,
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  IngestIncompleteError,
  UploadError,
} from "./errors.js";
export { MAX_BATCH } from "./ingest.js";
export { CursorPage, FeedPage, Page, PagePromise } from "./pagination.js";
export { OPERATIONS, OPERATION_METHODS } from "./operations.js";
export type { OperationId } from "./operations.js";
export { snakeToCamel, camelToSnake, toCamel, toSnake } from "./case.js";
export type * from "./types.js";
export { Events } from "./resources/events.js";
export { EventStream, RESET_EVENT } from "./stream.js";
export { SSEDecoder } from "./sse.js";
export type { ServerSentEvent } from "./sse.js";
export { Keys } from "./resources/keys.js";
export { EventTypes } from "./resources/event-types.js";
export type { EventType, EventTypeList } from "./resources/event-types.js";
export { WebhookEndpoints } from "./resources/webhook-endpoints.js";
export type {
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookDeliveryListParams,
  WebhookDeliveryStatus,
  WebhookReplayParams,
  WebhookReplayScheduled,
  WebhookResendQueued,
  WebhookRotateParams,
  WebhookSecret,
  WebhookEndpoint,
  WebhookEndpointCreated,
  WebhookEndpointCreateParams,
  WebhookEndpointList,
  WebhookEndpointListParams,
  WebhookEndpointUpdateParams,
  WebhookEventType,
  WebhookFilter,
  WebhookTestQueued,
} from "./resources/webhook-endpoints.js";
export { VERSION } from "./version.js";
export { Webhook, WebhookVerificationError, WEBHOOK_TOLERANCE_SECONDS } from "./webhooks.js";
export type { WebhookBody, WebhookHeaders, WebhookMessage } from "./webhooks.js";

export default NovaVMS;

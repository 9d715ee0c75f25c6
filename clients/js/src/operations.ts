/**
 * Every operation of the API by its OpenAPI `operationId`: the table the client builds its
 * requests from, compared with `shared/openapi.json` by the drift test.
 */
export const OPERATIONS = {
  list_events: { method: "GET", path: "/api/v1/events" },
  export_events: { method: "GET", path: "/api/v1/events/export" },
  list_deleted_events: { method: "GET", path: "/api/v1/events/deleted" },
  list_changes: { method: "GET", path: "/api/v1/events/changes" },
  stream_events: { method: "GET", path: "/api/v1/events/stream" },
  batch_update_events: { method: "POST", path: "/api/v1/events/batch-update" },
  batch_delete_events: { method: "POST", path: "/api/v1/events/batch-delete" },
  ingest_events: { method: "POST", path: "/api/v1/events/ingest" },
  get_event: { method: "GET", path: "/api/v1/events/{id}" },
  update_event: { method: "PATCH", path: "/api/v1/events/{id}" },
  delete_event: { method: "DELETE", path: "/api/v1/events/{id}" },
  restore_event: { method: "POST", path: "/api/v1/events/{id}/restore" },
  get_event_history: { method: "GET", path: "/api/v1/events/{id}/history" },
  upsert_event: { method: "PUT", path: "/api/v1/events/{id}" },
  create_upload_urls: { method: "POST", path: "/api/v1/events/{id}/upload-urls" },
  create_stream_ticket: { method: "POST", path: "/api/v1/stream-tickets" },
  create_key: { method: "POST", path: "/api/v1/keys" },
  list_keys: { method: "GET", path: "/api/v1/keys" },
  revoke_key: { method: "DELETE", path: "/api/v1/keys/{id}" },
  create_webhook_endpoint: { method: "POST", path: "/api/v1/webhook-endpoints" },
  list_webhook_endpoints: { method: "GET", path: "/api/v1/webhook-endpoints" },
  get_webhook_endpoint: { method: "GET", path: "/api/v1/webhook-endpoints/{id}" },
  update_webhook_endpoint: { method: "PATCH", path: "/api/v1/webhook-endpoints/{id}" },
  delete_webhook_endpoint: { method: "DELETE", path: "/api/v1/webhook-endpoints/{id}" },
  test_webhook_endpoint: { method: "POST", path: "/api/v1/webhook-endpoints/{id}/test" },
  list_webhook_deliveries: { method: "GET", path: "/api/v1/webhook-endpoints/{id}/deliveries" },
  replay_webhook_endpoint: { method: "POST", path: "/api/v1/webhook-endpoints/{id}/replay" },
  rotate_webhook_secret: { method: "POST", path: "/api/v1/webhook-endpoints/{id}/rotate-secret" },
  resend_webhook_delivery: { method: "POST", path: "/api/v1/webhook-deliveries/{id}/resend" },
  list_event_types: { method: "GET", path: "/api/v1/event-types" },
} as const satisfies Record<string, { method: HttpMethod; path: string }>;

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type OperationId = keyof typeof OPERATIONS;

/** Which client method calls each operation (`"events.list"` is `client.events.list`). */
export const OPERATION_METHODS: Readonly<Record<OperationId, string>> = {
  list_events: "events.list",
  export_events: "events.export",
  get_event: "events.get",
  update_event: "events.update",
  delete_event: "events.delete",
  list_deleted_events: "events.listDeleted",
  list_changes: "events.changes",
  stream_events: "events.stream",
  create_stream_ticket: "events.streamTicket",
  batch_update_events: "events.batchUpdate",
  batch_delete_events: "events.batchDelete",
  restore_event: "events.restore",
  get_event_history: "events.history",
  upsert_event: "events.upsert",
  ingest_events: "events.ingest",
  create_upload_urls: "events.uploadUrls",
  create_key: "keys.create",
  list_keys: "keys.list",
  revoke_key: "keys.revoke",
  create_webhook_endpoint: "webhookEndpoints.create",
  list_webhook_endpoints: "webhookEndpoints.list",
  get_webhook_endpoint: "webhookEndpoints.get",
  update_webhook_endpoint: "webhookEndpoints.update",
  delete_webhook_endpoint: "webhookEndpoints.delete",
  test_webhook_endpoint: "webhookEndpoints.test",
  list_webhook_deliveries: "webhookEndpoints.deliveries",
  replay_webhook_endpoint: "webhookEndpoints.replay",
  rotate_webhook_secret: "webhookEndpoints.rotateSecret",
  resend_webhook_delivery: "webhookEndpoints.resend",
  list_event_types: "eventTypes.list",
};

/** The operation's path with its `{name}` parameters filled in (URL-encoded). */
export function operationPath(operation: OperationId, params: Record<string, string> = {}): string {
  return OPERATIONS[operation].path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`${operation}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/**
 * Every operation of the API by its OpenAPI `operationId`: the table the client builds its
 * requests from, compared with `shared/openapi.json` by the drift test.
 */
export declare const OPERATIONS: {
    readonly list_events: {
        readonly method: "GET";
        readonly path: "/api/v1/events";
    };
    readonly export_events: {
        readonly method: "GET";
        readonly path: "/api/v1/events/export";
    };
    readonly list_deleted_events: {
        readonly method: "GET";
        readonly path: "/api/v1/events/deleted";
    };
    readonly list_changes: {
        readonly method: "GET";
        readonly path: "/api/v1/events/changes";
    };
    readonly stream_events: {
        readonly method: "GET";
        readonly path: "/api/v1/events/stream";
    };
    readonly batch_update_events: {
        readonly method: "POST";
        readonly path: "/api/v1/events/batch-update";
    };
    readonly batch_delete_events: {
        readonly method: "POST";
        readonly path: "/api/v1/events/batch-delete";
    };
    readonly ingest_events: {
        readonly method: "POST";
        readonly path: "/api/v1/events/ingest";
    };
    readonly get_event: {
        readonly method: "GET";
        readonly path: "/api/v1/events/{id}";
    };
    readonly update_event: {
        readonly method: "PATCH";
        readonly path: "/api/v1/events/{id}";
    };
    readonly delete_event: {
        readonly method: "DELETE";
        readonly path: "/api/v1/events/{id}";
    };
    readonly restore_event: {
        readonly method: "POST";
        readonly path: "/api/v1/events/{id}/restore";
    };
    readonly get_event_history: {
        readonly method: "GET";
        readonly path: "/api/v1/events/{id}/history";
    };
    readonly upsert_event: {
        readonly method: "PUT";
        readonly path: "/api/v1/events/{id}";
    };
    readonly create_upload_urls: {
        readonly method: "POST";
        readonly path: "/api/v1/events/{id}/upload-urls";
    };
    readonly create_stream_ticket: {
        readonly method: "POST";
        readonly path: "/api/v1/stream-tickets";
    };
    readonly create_key: {
        readonly method: "POST";
        readonly path: "/api/v1/keys";
    };
    readonly list_keys: {
        readonly method: "GET";
        readonly path: "/api/v1/keys";
    };
    readonly revoke_key: {
        readonly method: "DELETE";
        readonly path: "/api/v1/keys/{id}";
    };
    readonly create_webhook_endpoint: {
        readonly method: "POST";
        readonly path: "/api/v1/webhook-endpoints";
    };
    readonly list_webhook_endpoints: {
        readonly method: "GET";
        readonly path: "/api/v1/webhook-endpoints";
    };
    readonly get_webhook_endpoint: {
        readonly method: "GET";
        readonly path: "/api/v1/webhook-endpoints/{id}";
    };
    readonly update_webhook_endpoint: {
        readonly method: "PATCH";
        readonly path: "/api/v1/webhook-endpoints/{id}";
    };
    readonly delete_webhook_endpoint: {
        readonly method: "DELETE";
        readonly path: "/api/v1/webhook-endpoints/{id}";
    };
    readonly test_webhook_endpoint: {
        readonly method: "POST";
        readonly path: "/api/v1/webhook-endpoints/{id}/test";
    };
    readonly list_webhook_deliveries: {
        readonly method: "GET";
        readonly path: "/api/v1/webhook-endpoints/{id}/deliveries";
    };
    readonly replay_webhook_endpoint: {
        readonly method: "POST";
        readonly path: "/api/v1/webhook-endpoints/{id}/replay";
    };
    readonly rotate_webhook_secret: {
        readonly method: "POST";
        readonly path: "/api/v1/webhook-endpoints/{id}/rotate-secret";
    };
    readonly resend_webhook_delivery: {
        readonly method: "POST";
        readonly path: "/api/v1/webhook-deliveries/{id}/resend";
    };
    readonly list_event_types: {
        readonly method: "GET";
        readonly path: "/api/v1/event-types";
    };
};
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type OperationId = keyof typeof OPERATIONS;
/** Which client method calls each operation (`"events.list"` is `client.events.list`). */
export declare const OPERATION_METHODS: Readonly<Record<OperationId, string>>;
/** The operation's path with its `{name}` parameters filled in (URL-encoded). */
export declare function operationPath(operation: OperationId, params?: Record<string, string>): string;

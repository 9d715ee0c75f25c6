/**
 * Every operation of the API by its OpenAPI `operationId`: the table the client builds its
 * requests from, compared with `shared/openapi.json` by the drift test.
 */
export const OPERATIONS = {
  list_events: { method: "GET", path: "/api/v1/events" },
  export_events: { method: "GET", path: "/api/v1/events/export" },
  get_event: { method: "GET", path: "/api/v1/events/{id}" },
  update_event: { method: "PATCH", path: "/api/v1/events/{id}" },
  delete_event: { method: "DELETE", path: "/api/v1/events/{id}" },
  create_key: { method: "POST", path: "/api/v1/keys" },
  list_keys: { method: "GET", path: "/api/v1/keys" },
  revoke_key: { method: "DELETE", path: "/api/v1/keys/{id}" },
} as const satisfies Record<string, { method: HttpMethod; path: string }>;

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";
export type OperationId = keyof typeof OPERATIONS;

/** Which client method calls each operation (`"events.list"` is `client.events.list`). */
export const OPERATION_METHODS: Readonly<Record<OperationId, string>> = {
  list_events: "events.list",
  export_events: "events.export",
  get_event: "events.get",
  update_event: "events.update",
  delete_event: "events.delete",
  create_key: "keys.create",
  list_keys: "keys.list",
  revoke_key: "keys.revoke",
};

/** The operation's path with its `{name}` parameters filled in (URL-encoded). */
export function operationPath(operation: OperationId, params: Record<string, string> = {}): string {
  return OPERATIONS[operation].path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`${operation}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/**
 * The client against shared/openapi.json: every operation has an entry in the client's operation
 * table with the document's method and path and is bound to a client method, and the types the
 * package ships (dist/index.d.ts, read with the TypeScript compiler) have the schemas' fields, after
 * the one snake<->camel rule, with the same enums, nullability and required-ness; the answers' free-form
 * maps, whose keys the client passes through as sent, are the document's (src/free-form-maps.ts is
 * generated from it by scripts/free-form-maps.mjs).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import NovaVMS, { OPERATIONS, OPERATION_METHODS, camelToSnake, snakeToCamel, toCamel } from "novavms";
import ts from "typescript";

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), "..");
const DOCUMENT_PATH = process.env["NOVAVMS_OPENAPI"] ?? join(PACKAGE, "..", "..", "shared", "openapi.json");
const HTTP_METHODS = ["get", "put", "post", "patch", "delete", "head", "options"];

interface Schema {
  type?: string;
  enum?: string[];
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  $ref?: string;
  oneOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: Schema | boolean;
  anyOf?: { format?: string }[];
}
interface Document {
  paths: Record<string, Record<string, { operationId?: string; parameters?: { $ref?: string; name?: string; in?: string }[] }>>;
  components: { schemas: Record<string, Schema>; parameters: Record<string, { name: string; in: string; schema: Schema }> };
}
const document = JSON.parse(readFileSync(DOCUMENT_PATH, "utf8")) as Document;

function documentOperations(): Map<string, { method: string; path: string }> {
  const operations = new Map<string, { method: string; path: string }>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (HTTP_METHODS.includes(method) && operation.operationId) {
        operations.set(operation.operationId, { method: method.toUpperCase(), path });
      }
    }
  }
  return operations;
}

test("every operation of the document is in the client's table, with its method and path", () => {
  const expected = Object.fromEntries([...documentOperations()].filter(([, op]) => op.path.startsWith("/api/")));
  assert.deepEqual({ ...OPERATIONS }, expected);
});

test("every operation is bound to a method of the client", () => {
  const client = new NovaVMS({ apiKey: "x", baseUrl: "http://127.0.0.1:9" }) as unknown as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(OPERATION_METHODS).sort(), Object.keys(OPERATIONS).sort());
  for (const [operation, name] of Object.entries(OPERATION_METHODS)) {
    const [resource, method] = name.split(".") as [string, string];
    assert.equal(typeof client[resource]?.[method], "function", `${operation}: client.${name} is missing`);
  }
});

test("the camelCase rule round-trips every name in the document", () => {
  const names = new Set<string>();
  for (const schema of Object.values(document.components.schemas)) {
    for (const variant of schema.oneOf ?? [schema]) Object.keys(variant.properties ?? {}).forEach((n) => names.add(n));
  }
  Object.values(document.components.parameters).filter((p) => p.in === "query").forEach((p) => names.add(p.name));
  for (const name of names) assert.equal(camelToSnake(snakeToCamel(name)), name, name);
});

/** A shipped type's properties: camelCase name -> {optional, nullable, enum values or a primitive}. */
type Shape = Record<string, { optional: boolean; nullable: boolean; values: string }>;

const checker = (() => {
  const entry = join(PACKAGE, "dist", "index.d.ts");
  const program = ts.createProgram([entry], { strict: true, exactOptionalPropertyTypes: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  assert.ok(source, "dist/index.d.ts is built");
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
  return { checker, exports };
})();

function shippedShape(typeName: string): Shape {
  const { checker: c, exports } = checker;
  const symbol = exports.find((s) => s.name === typeName);
  assert.ok(symbol, `${typeName} is exported`);
  const type = c.getDeclaredTypeOfSymbol(symbol.flags & ts.SymbolFlags.Alias ? c.getAliasedSymbol(symbol) : symbol);
  const shape: Shape = {};
  for (const property of c.getPropertiesOfType(type)) {
    const propertyType = c.getTypeOfSymbol(property);
    const members = propertyType.isUnion() ? propertyType.types : [propertyType];
    const nullable = members.some((m) => m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Unknown));
    const rest = members.filter((m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    const values = rest.every((m) => m.isStringLiteral())
      ? rest.map((m) => (m as ts.StringLiteralType).value).sort().join("|")
      : rest.map((m) => c.typeToString(m)).sort().join("|").replace("false|true", "boolean");
    shape[property.name] = { optional: (property.flags & ts.SymbolFlags.Optional) !== 0, nullable, values };
  }
  return shape;
}

/** A schema's values as the shipped type prints them: a `$ref` by the type shipped for that schema. */
function schemaValues(schema: Schema): string {
  if (schema.$ref) return TYPE_OF_SCHEMA[schema.$ref.split("/").pop()!] ?? "ref";
  if (schema.enum) return [...schema.enum].sort().join("|");
  if (schema.type === "array") return `${schemaValues(schema.items ?? {})}[]`;
  return { integer: "number", number: "number", string: "string", boolean: "boolean" }[schema.type ?? ""] ?? "unknown";
}

/**
 * A schema's shape after the camelCase rule. `inline` names the shipped types of inline object
 * properties, each compared with its own schema apart; a nullable schema of no type is `unknown`.
 */
function schemaShape(schema: Schema, inline: Record<string, string> = {}): Shape {
  const shape: Shape = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const camel = snakeToCamel(name);
    const values = inline[camel] ?? (isDateInput(property) ? "Date|string" : schemaValues(property));
    shape[camel] = { optional: !(schema.required ?? []).includes(name), nullable: property.nullable === true, values };
  }
  return shape;
}

/** A date or date-time text, which the client also takes as a `Date`. */
function isDateInput(schema: Schema): boolean {
  return schema.type === "string" && (schema.anyOf ?? []).some((s) => s.format === "date" || s.format === "date-time");
}

/** The type the package ships for each schema of the document. */
const TYPE_OF_SCHEMA: Record<string, string> = {
  EventListItem: "EventListItem",
  EventDetail: "Event",
  EventList: "EventList",
  EventPatch: "EventUpdateParams",
  ApiKey: "ApiKey",
  ApiKeyCreated: "ApiKeyCreated",
  ApiKeyList: "ApiKeyList",
  ApiKeyRequest: "KeyCreateParams",
  TrashItem: "TrashItem",
  TrashList: "TrashList",
  Actor: "Actor",
  HistoryEntry: "HistoryEntry",
  HistoryPage: "HistoryPage",
  BatchFilter: "BatchFilter",
  BatchUpdateRequest: "BatchUpdateParams",
  BatchDeleteRequest: "BatchDeleteParams",
  BatchResult: "BatchResult",
  Change: "Change",
  ChangePage: "ChangePage",
  IngestEvent: "EventInput",
  IngestOutcome: "UpsertResult",
  IngestResult: "IngestResult",
  UploadTarget: "UploadTarget",
  UploadUrls: "UploadUrls",
  WebhookFilter: "WebhookFilter",
  WebhookEndpointRequest: "WebhookEndpointCreateParams",
  WebhookEndpointPatch: "WebhookEndpointUpdateParams",
  WebhookEndpoint: "WebhookEndpoint",
  WebhookEndpointCreated: "WebhookEndpointCreated",
  WebhookEndpointList: "WebhookEndpointList",
  WebhookTestQueued: "WebhookTestQueued",
  WebhookAttempt: "WebhookAttempt",
  WebhookDelivery: "WebhookDelivery",
  WebhookDeliveryList: "WebhookDeliveryList",
  WebhookResendQueued: "WebhookResendQueued",
  WebhookReplayRequest: "WebhookReplayParams",
  WebhookReplayScheduled: "WebhookReplayScheduled",
  WebhookRotateRequest: "WebhookRotateParams",
  WebhookSecret: "WebhookSecret",
  EventType: "EventType",
  EventTypeList: "EventTypeList",
  // A message's body, as `new Webhook(secret).verify(...)` answers it (each type's schema is in the
  // catalogue, `eventTypes.list()`).
  EventChangeMessage: "WebhookMessage",
  EndpointDisabledMessage: "WebhookMessage",
  WebhookTestMessage: "WebhookMessage",
  StreamTicket: "StreamTicket",
};
/**
 * Schemas with no type of their own: the error envelope is read into the error classes, and the
 * ingest request is what `events.ingest` builds of any iterable of {@link EventInput}s.
 */
const UNTYPED_SCHEMAS = ["Error", "IngestRequest"];

test("every schema of the document has a shipped type", () => {
  assert.deepEqual(Object.keys(document.components.schemas).sort(), [...Object.keys(TYPE_OF_SCHEMA), ...UNTYPED_SCHEMAS].sort());
  for (const typeName of Object.values(TYPE_OF_SCHEMA)) assert.ok(checker.exports.some((s) => s.name === typeName), `${typeName} is exported`);
});

for (const [typeName, schemaName] of [
  ["EventListItem", "EventListItem"],
  ["Event", "EventDetail"],
  ["ApiKey", "ApiKey"],
  ["ApiKeyCreated", "ApiKeyCreated"],
  ["TrashItem", "TrashItem"],
  ["TrashList", "TrashList"],
  ["HistoryPage", "HistoryPage"],
  ["Actor", "Actor"],
  ["BatchFilter", "BatchFilter"],
  ["WebhookEndpointList", "WebhookEndpointList"],
  ["WebhookTestQueued", "WebhookTestQueued"],
  ["WebhookAttempt", "WebhookAttempt"],
  ["WebhookResendQueued", "WebhookResendQueued"],
  ["WebhookReplayScheduled", "WebhookReplayScheduled"],
  ["WebhookSecret", "WebhookSecret"],
  ["WebhookRotateParams", "WebhookRotateRequest"],
  ["StreamTicket", "StreamTicket"],
] as const) {
  test(`the ${typeName} type equals schema ${schemaName} after the camelCase rule`, () => {
    assert.deepEqual(shippedShape(typeName), schemaShape(document.components.schemas[schemaName]!));
  });
}

test("the HistoryEntry type equals its schema, each change a FieldChange of the schema's shape", () => {
  const schema = document.components.schemas["HistoryEntry"]!;
  assert.deepEqual(shippedShape("HistoryEntry"), schemaShape(schema, { changes: "Record<string, FieldChange>" }));
  const change = schema.properties!["changes"]!.additionalProperties;
  assert.ok(change && typeof change === "object", "changes maps field names to {old, new}");
  assert.deepEqual(shippedShape("FieldChange"), schemaShape(change));
});

test("the Change type equals its schema, its previous values a free-form map; ChangePage its page", () => {
  const schema = document.components.schemas["Change"]!;
  assert.deepEqual(shippedShape("Change"), schemaShape(schema, { previous: shippedShape("Change")["previous"]!.values }));
  assert.equal(schema.properties!["previous"]!.additionalProperties, true);
  assert.deepEqual(shippedShape("ChangePage"), schemaShape(document.components.schemas["ChangePage"]!));
});

test("the WebhookDelivery type equals its schema, each attempt a WebhookAttempt; WebhookDeliveryList its page", () => {
  const schema = document.components.schemas["WebhookDelivery"]!;
  assert.deepEqual(shippedShape("WebhookDelivery"), schemaShape(schema, { attempts: "WebhookAttempt[]" }));
  assert.deepEqual(shippedShape("WebhookDeliveryList"), schemaShape(document.components.schemas["WebhookDeliveryList"]!));
});

test("the BatchResult type equals its schema, each result a BatchResultItem", () => {
  const schema = document.components.schemas["BatchResult"]!;
  assert.deepEqual(shippedShape("BatchResult"), schemaShape(schema, { results: "BatchResultItem[]" }));
  assert.deepEqual(shippedShape("BatchResultItem"), schemaShape(schema.properties!["results"]!.items!));
});

test("the ingest types equal their schemas: EventInput (times also as Date), UpsertResult, IngestResult", () => {
  const event = document.components.schemas["IngestEvent"]!;
  const times = Object.fromEntries(
    Object.entries(event.properties!).filter(([, p]) => (p as { format?: string }).format === "date-time").map(([n]) => [snakeToCamel(n), "Date|string"]),
  );
  assert.deepEqual(shippedShape("EventInput"), schemaShape(event, times));
  assert.deepEqual(shippedShape("UpsertResult"), schemaShape(document.components.schemas["IngestOutcome"]!));
  const result = document.components.schemas["IngestResult"]!;
  assert.deepEqual(shippedShape("IngestResult"), schemaShape(result, { results: "IngestResultItem[]" }));
  const item = result.properties!["results"]!.items!;
  assert.deepEqual(shippedShape("IngestResultItem"), schemaShape(item, { errors: "Record<string, string>" }));
  assert.equal((item.properties!["errors"]!.additionalProperties as Schema).type, "string");
});

test("the UploadTarget and UploadUrls types equal their schemas", () => {
  const target = document.components.schemas["UploadTarget"]!;
  assert.deepEqual(shippedShape("UploadTarget"), schemaShape(target, { headers: "UploadHeaders" }));
  assert.deepEqual(shippedShape("UploadHeaders"), schemaShape(target.properties!["headers"]!));
  const urls = document.components.schemas["UploadUrls"]!;
  assert.deepEqual(shippedShape("UploadUrls"), schemaShape(urls, { snapshot: "UploadTarget", clip: "UploadTarget" }));
});

/** The members of a shipped union type, each as its required properties (camelCase, sorted). */
function shippedVariants(typeName: string): string[][] {
  const { checker: c, exports } = checker;
  const symbol = exports.find((s) => s.name === typeName);
  assert.ok(symbol, `${typeName} is exported`);
  const type = c.getDeclaredTypeOfSymbol(symbol.flags & ts.SymbolFlags.Alias ? c.getAliasedSymbol(symbol) : symbol);
  return (type.isUnion() ? type.types : [type])
    .map((member) => c.getPropertiesOfType(member).filter((p) => !(p.flags & ts.SymbolFlags.Optional)).map((p) => p.name).sort())
    .sort();
}

for (const [typeName, schemaName] of [["BatchUpdateParams", "BatchUpdateRequest"], ["BatchDeleteParams", "BatchDeleteRequest"]] as const) {
  test(`the ${typeName} type allows exactly the variants of schema ${schemaName}`, () => {
    const variants = document.components.schemas[schemaName]!.oneOf!;
    assert.deepEqual(shippedVariants(typeName), variants.map((v) => (v.required ?? []).map(snakeToCamel).sort()).sort());
    for (const variant of variants) {
      assert.deepEqual(Object.keys(variant.properties ?? {}).sort(), [...(variant.required ?? [])].sort(), "every property required");
      if (variant.properties?.["ids"]) assert.equal(schemaValues(variant.properties["ids"]), "string[]");
      if (variant.properties?.["filter"]) assert.equal(schemaValues(variant.properties["filter"]), "BatchFilter");
      if (variant.properties?.["changes"]) assert.equal(schemaValues(variant.properties["changes"]), "EventUpdateParams");
    }
  });
}

/** A shipped union of string literals as `schemaValues` prints an enum (sorted, `|`-joined). */
function literals(typeName: string): string {
  const { checker: c, exports } = checker;
  const symbol = exports.find((s) => s.name === typeName);
  assert.ok(symbol, `${typeName} is exported`);
  const type = c.getDeclaredTypeOfSymbol(symbol.flags & ts.SymbolFlags.Alias ? c.getAliasedSymbol(symbol) : symbol);
  return (type.isUnion() ? type.types : [type]).map((m) => (m as ts.StringLiteralType).value).sort().join("|");
}

test("the webhook endpoint types equal their schemas, event types a WebhookEventType[], the filter a WebhookFilter", () => {
  const schemas = document.components.schemas;
  const endpoint = schemas["WebhookEndpoint"]!;
  const filter = schemas["WebhookFilter"]!;
  assert.equal(`${literals("WebhookEventType")}[]`, schemaValues(endpoint.properties!["event_types"]!));
  assert.equal(`${literals("TriggerType")}[]`, schemaValues(filter.properties!["trigger_types"]!));
  assert.deepEqual(shippedShape("WebhookFilter"), schemaShape(filter, { triggerTypes: "TriggerType[]" }));
  for (const name of ["WebhookEndpoint", "WebhookEndpointCreated"]) {
    assert.deepEqual(shippedShape(name), schemaShape(schemas[name]!, { eventTypes: "WebhookEventType[]" }), name);
  }
  for (const [typeName, schemaName] of [["WebhookEndpointCreateParams", "WebhookEndpointRequest"], ["WebhookEndpointUpdateParams", "WebhookEndpointPatch"]] as const) {
    const schema = schemas[schemaName]!;
    assert.equal(schema.properties!["filter"]!.allOf?.[0]?.$ref, "#/components/schemas/WebhookFilter");
    const inline = { filter: "WebhookFilter", eventTypes: "WebhookEventType[]" };
    assert.deepEqual(shippedShape(typeName), schemaShape(schema, inline), typeName);
  }
});

test("the EventList type has the schema's fields", () => {
  const shape = shippedShape("EventList");
  assert.deepEqual(Object.keys(shape).sort(), Object.keys(document.components.schemas["EventList"]!.properties!).map(snakeToCamel).sort());
  assert.deepEqual(shape["nextCursor"], { optional: false, nullable: true, values: "string" });
});

test("the EventUpdateParams type is the EventPatch schema (all optional)", () => {
  const shape = shippedShape("EventUpdateParams");
  const schema = schemaShape(document.components.schemas["EventPatch"]!);
  assert.deepEqual(shape, schema);
});

test("list, export, trash and history parameters are the operations' query parameters", () => {
  for (const [typeName, operationId] of [
    ["EventListParams", "list_events"],
    ["EventExportParams", "export_events"],
    ["TrashListParams", "list_deleted_events"],
    ["EventHistoryParams", "get_event_history"],
  ] as const) {
    const { method, path } = OPERATIONS[operationId];
    const parameters = (document.paths[path]![method.toLowerCase()]!.parameters ?? []).map((p) => {
      const resolved = p.$ref ? document.components.parameters[p.$ref.split("/").pop()!]! : p;
      return resolved;
    }).filter((p) => p.in === "query");
    const shape = shippedShape(typeName);
    assert.deepEqual(Object.keys(shape).map(camelToSnake).sort(), parameters.map((p) => p.name!).sort(), typeName);
    for (const parameter of parameters) {
      const field = shape[snakeToCamel(parameter.name!)]!;
      const schema = (parameter as { schema: Schema }).schema;
      assert.equal(field.optional, true);
      if (schema.enum) assert.equal(field.values, schemaValues(schema), parameter.name);
      else if (parameter.name?.startsWith("date_")) assert.equal(field.values, "Date|string");
      else assert.equal(field.values, schemaValues(schema), parameter.name);
    }
  }
});

test("the package version is the one the client sends", async () => {
  const require = createRequire(import.meta.url);
  const { VERSION } = await import("novavms");
  assert.equal(VERSION, (require(join(PACKAGE, "package.json")) as { version: string }).version);
});

/** The generator of src/free-form-maps.ts (scripts/free-form-maps.mjs). */
const generator = (await import(pathToFileURL(join(PACKAGE, "scripts", "free-form-maps.mjs")).href)) as {
  freeFormMaps(document: unknown): string[];
  render(names: string[]): string;
};

test("src/free-form-maps.ts is what the generator makes of the document (run `npm run build` after changing it)", () => {
  const committed = readFileSync(join(PACKAGE, "src", "free-form-maps.ts"), "utf8");
  assert.equal(committed, generator.render(generator.freeFormMaps(document)));
});

test("the keys of every free-form map of the document's answers stay as sent; other objects' keys are renamed", () => {
  const maps = generator.freeFormMaps(document);
  assert.ok(maps.includes("fields") && maps.includes("changes"), `a validation error's fields and a history entry's changes: ${maps.join(", ")}`);
  for (const name of maps) {
    const answer = { [name]: { camera_id: { old_value: 1 } }, next_cursor: null };
    assert.deepEqual(toCamel(answer), { [snakeToCamel(name)]: { camera_id: { old_value: 1 } }, nextCursor: null }, name);
  }
  const entry = toCamel({ by: { kind: "api_key", key_id: "k1" }, changes: { ai_status: { old: "queued", new: "done" } } });
  assert.deepEqual(entry, { by: { kind: "api_key", keyId: "k1" }, changes: { ai_status: { old: "queued", new: "done" } } });
});

test("the generator's rule: additionalProperties and no fixed properties, in answers only, one rule per name", () => {
  const ok = (schema: object) => ({ description: "", content: { "application/json": { schema } } });
  const mini = (responses: Record<string, object>, schemas: Record<string, object> = {}) => ({
    paths: { "/x": { get: { responses }, post: { requestBody: ok({ type: "object", properties: { in_request: { type: "object", additionalProperties: true } } }), responses: {} } } },
    components: { schemas, responses: { Failed: ok({ $ref: "#/components/schemas/Failure" }) } },
  });
  const schemas = {
    Failure: { type: "object", properties: { bad_fields: { $ref: "#/components/schemas/Reasons" } } },
    Reasons: { type: "object", additionalProperties: { type: "string" } },
    Item: { type: "object", additionalProperties: false, properties: { labels: { type: "object", additionalProperties: true }, closed: { type: "object", additionalProperties: false } } },
  };
  const responses = {
    "200": ok({ type: "object", properties: { data: { type: "array", items: { $ref: "#/components/schemas/Item" } }, counts: { type: "object", properties: { n: { type: "integer" } }, additionalProperties: true } } }),
    "400": { $ref: "#/components/responses/Failed" },
  };
  assert.deepEqual(generator.freeFormMaps(mini(responses, schemas)), ["bad_fields", "labels"]);
  const clash = { ...responses, "201": ok({ type: "object", properties: { labels: { type: "object", properties: { a: { type: "string" } } } } }) };
  assert.throws(() => generator.freeFormMaps(mini(clash, schemas)), /labels/);
});

test("the shipped types name the client's resources, events and keys, with their methods and docs", () => {
  const { checker: c, exports } = checker;
  const exported = exports.find((s) => s.name === "NovaVMS");
  assert.ok(exported, "NovaVMS is exported");
  const client = exported.flags & ts.SymbolFlags.Alias ? c.getAliasedSymbol(exported) : exported;
  const instance = c.getDeclaredTypeOfSymbol(client);
  const classDoc = ts.displayPartsToString(client.getDocumentationComment(c));
  for (const [resource, typeName] of [["events", "Events"], ["keys", "Keys"], ["webhookEndpoints", "WebhookEndpoints"]] as const) {
    const property = instance.getProperty(resource);
    assert.ok(property, `NovaVMS.${resource}`);
    assert.equal(c.typeToString(c.getTypeOfSymbol(property)), typeName);
    assert.ok(ts.displayPartsToString(property.getDocumentationComment(c)).length > 0, `NovaVMS.${resource} has TSDoc`);
    const methods = c.getPropertiesOfType(c.getTypeOfSymbol(property)).map((m) => m.name).filter((m) => !m.startsWith("#"));
    assert.ok(methods.length > 0 && methods.every((m) => classDoc.includes(`\`${m}\``)), `NovaVMS's TSDoc names ${resource}'s methods ${methods.join(", ")}`);
  }
});

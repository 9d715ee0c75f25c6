/**
 * The client against shared/openapi.json: every operation has an entry in the client's operation
 * table with the document's method and path and is bound to a client method, and the types the
 * package ships (dist/index.d.ts, read with the TypeScript compiler) have the schemas' fields, after
 * the one snake<->camel rule, with the same enums, nullability and required-ness.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import NovaVMS, { OPERATIONS, OPERATION_METHODS, camelToSnake, snakeToCamel } from "novavms";
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
    const nullable = members.some((m) => m.flags & ts.TypeFlags.Null);
    const rest = members.filter((m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    const values = rest.every((m) => m.isStringLiteral())
      ? rest.map((m) => (m as ts.StringLiteralType).value).sort().join("|")
      : rest.map((m) => c.typeToString(m)).sort().join("|").replace("false|true", "boolean");
    shape[property.name] = { optional: (property.flags & ts.SymbolFlags.Optional) !== 0, nullable, values };
  }
  return shape;
}

function schemaValues(schema: Schema): string {
  if (schema.enum) return [...schema.enum].sort().join("|");
  if (schema.type === "array") return `${schemaValues(schema.items ?? {})}[]`;
  return { integer: "number", number: "number", string: "string", boolean: "boolean" }[schema.type ?? ""] ?? "unknown";
}

function schemaShape(schema: Schema): Shape {
  const shape: Shape = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const values = property.$ref ? "ref" : schemaValues(property);
    shape[snakeToCamel(name)] = { optional: !(schema.required ?? []).includes(name), nullable: property.nullable === true, values };
  }
  return shape;
}

for (const [typeName, schemaName] of [
  ["EventListItem", "EventListItem"],
  ["Event", "EventDetail"],
  ["ApiKey", "ApiKey"],
  ["ApiKeyCreated", "ApiKeyCreated"],
] as const) {
  test(`the ${typeName} type equals schema ${schemaName} after the camelCase rule`, () => {
    assert.deepEqual(shippedShape(typeName), schemaShape(document.components.schemas[schemaName]!));
  });
}

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

test("list and export parameters are the operations' query parameters", () => {
  for (const [typeName, operationId] of [["EventListParams", "list_events"], ["EventExportParams", "export_events"]] as const) {
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

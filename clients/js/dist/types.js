/**
 * The API's types with camelCase keys (see `case.ts`): values, enums included, are as the API
 * sends them. Kept equal to `shared/openapi.json` by the drift test.
 */
export {};

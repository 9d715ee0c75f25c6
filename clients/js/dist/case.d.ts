/**
 * The one snake_case <-> camelCase rule of the client: the API speaks snake_case
 * (`triggered_at`, `next_cursor`), JavaScript speaks camelCase (`triggeredAt`, `nextCursor`).
 * Every result, query parameter and request body goes through these two functions.
 *
 * Only keys are renamed, never values (`'ai_tag'` stays `'ai_tag'`). In answers, the values of the
 * {@link DATA_KEYS} are data (keys chosen by the server, such as a validation error's `fields` or a
 * history entry's `changes`) and are passed through as sent.
 */
/**
 * Keys whose values are data: their own keys are never renamed. These are the answers' free-form
 * maps of the OpenAPI document, generated into ./free-form-maps.ts by scripts/free-form-maps.mjs.
 */
export declare const DATA_KEYS: ReadonlySet<string>;
/** `triggered_at` -> `triggeredAt`. */
export declare function snakeToCamel(key: string): string;
/** `triggeredAt` -> `triggered_at`. */
export declare function camelToSnake(key: string): string;
/** An API answer (snake_case keys, deeply) as the client returns it (camelCase keys). */
export declare function toCamel<T>(value: unknown): T;
/** Caller arguments (camelCase keys, deeply) as the API takes them (snake_case keys). */
export declare function toSnake(value: unknown): unknown;

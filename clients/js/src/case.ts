/**
 * The one snake_case <-> camelCase rule of the client: the API speaks snake_case
 * (`triggered_at`, `next_cursor`), JavaScript speaks camelCase (`triggeredAt`, `nextCursor`).
 * Every result, query parameter and request body goes through these two functions.
 *
 * Only keys are renamed, never values (`'ai_tag'` stays `'ai_tag'`). In answers, the values of the
 * {@link DATA_KEYS} are data (keys chosen by the server, such as a validation error's `fields` or a
 * history entry's `changes`) and are passed through as sent.
 */

import { FREE_FORM_MAPS } from "./free-form-maps.js";

/**
 * Keys whose values are data: their own keys are never renamed. These are the answers' free-form
 * maps of the OpenAPI document, generated into ./free-form-maps.ts by scripts/free-form-maps.mjs.
 */
export const DATA_KEYS: ReadonlySet<string> = new Set(FREE_FORM_MAPS);

/** `triggered_at` -> `triggeredAt`. */
export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `triggeredAt` -> `triggered_at`. */
export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function renameKeys(
  value: unknown,
  rename: (key: string) => string,
  dataKeys: ReadonlySet<string> = DATA_KEYS,
): unknown {
  if (Array.isArray(value)) return value.map((item) => renameKeys(item, rename, dataKeys));
  if (value === null || typeof value !== "object" || !isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const renamed = rename(key);
    out[renamed] =
      dataKeys.has(key) || dataKeys.has(renamed) ? item : renameKeys(item, rename, dataKeys);
  }
  return out;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** An API answer (snake_case keys, deeply) as the client returns it (camelCase keys). */
export function toCamel<T>(value: unknown): T {
  return renameKeys(value, snakeToCamel) as T;
}

/** Caller arguments (camelCase keys, deeply) as the API takes them (snake_case keys). */
export function toSnake(value: unknown): unknown {
  // Requests carry no data keys: a batch's `changes` are field names, renamed like any other.
  return renameKeys(value, camelToSnake, new Set());
}

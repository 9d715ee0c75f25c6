/**
 * The API's types with camelCase keys (see `case.ts`): values, enums included, are as the API
 * sends them. Kept equal to `shared/openapi.json` by the drift test.
 */

/** What triggered an event. */
export type TriggerType = "motion" | "ai_tag" | "manual";
/** State of an event's AI analysis. */
export type AiStatus = "pending" | "completed" | "skipped" | "failed";
/** A user's or key's role. */
export type Role = "viewer" | "operator" | "admin";

/** An event as listed (schema `EventListItem`). */
export interface EventListItem {
  id: string;
  cameraId: string;
  cameraName: string;
  cameraDeleted: boolean;
  triggerType: TriggerType;
  /** RFC3339 in UTC (`2026-04-21T13:45:22Z`). */
  triggeredAt: string;
  summary: string | null;
  tags: string[];
  aiStatus: AiStatus;
  acknowledged: boolean;
  starred: boolean;
  /** Short-lived signed URL of the snapshot; null when there is none. */
  snapshotUrl: string | null;
}

/** An event in full detail, the answer of `get` and `update` (schema `EventDetail`). */
export interface Event extends EventListItem {
  clipStartAt: string | null;
  clipEndAt: string | null;
  durationSec: number | null;
  narrative: string | null;
  /** The first acknowledger's user id (set by the server). */
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  notes: string | null;
  clipCodec: string | null;
  clipUrl: string | null;
  recordingSource: string | null;
  /** The next newer event visible to the caller, or null. */
  prevEventId: string | null;
  /** The next older event visible to the caller, or null. */
  nextEventId: string | null;
}
/** The same as {@link Event}, by its schema name. */
export type EventDetail = Event;

/** One page of events (schema `EventList`). */
export interface EventList {
  data: EventListItem[];
  /** Pass as `cursor` (same filters) for the next page; null on the last page. */
  nextCursor: string | null;
  /** How many events match the filters, all pages together. */
  total: number;
}

/** A date filter: `YYYY-MM-DD` (that UTC day), RFC3339 text, or a `Date`. */
export type DateInput = string | Date;

/** The filters of `events.list` and `events.export` (query parameters). */
export interface EventFilters {
  cameraId?: string;
  siteId?: string;
  /** Inclusive lower bound. */
  dateFrom?: DateInput;
  /** Inclusive upper bound (a plain date covers that whole UTC day). */
  dateTo?: DateInput;
  triggerType?: TriggerType;
  aiStatus?: AiStatus;
  /** false keeps only unacknowledged events (the queue); true only acknowledged ones. */
  acknowledged?: boolean;
  /** true keeps only starred events; false does not filter. */
  starred?: boolean;
  /** A `nextCursor` issued for these filters. */
  cursor?: string;
}

/** `events.list` parameters. */
export interface EventListParams extends EventFilters {
  /** Page size, 1-100 (server default 20). */
  limit?: number;
}

/** `events.export` parameters. */
export interface EventExportParams extends EventFilters {
  /** Caps the rows exported; absent: every matching row (up to the server's cap, else 413). */
  limit?: number;
}

/** `events.update` body (schema `EventPatch`): at least one field. */
export interface EventUpdateParams {
  /** true acknowledges (the server records who and when); false clears. */
  acknowledged?: boolean;
  starred?: boolean;
  /** Up to 2000 characters; null clears them. */
  notes?: string | null;
}

/** An API key as listed: never its secret (schema `ApiKey`). */
export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  /** A viewer key's sites; null for other roles. */
  siteIds: string[] | null;
  last4: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A key just created, with its secret shown this once (schema `ApiKeyCreated`). */
export interface ApiKeyCreated extends ApiKey {
  /** The key itself (`sk_live_...`); null when this answer replays the creation. */
  secret: string | null;
}

/** The org's keys (schema `ApiKeyList`). */
export interface ApiKeyList {
  data: ApiKey[];
}

/** `keys.create` body (schema `ApiKeyRequest`): a viewer key names its sites. */
export type KeyCreateParams =
  | { name: string; role: "viewer"; siteIds: string[]; expiresAt?: DateInput | null }
  | { name: string; role: "operator" | "admin"; expiresAt?: DateInput | null };

/** Per-call options, the last argument of every method. */
export interface RequestOptions {
  /** Aborts the call (and its retries). */
  signal?: AbortSignal;
  /** Milliseconds per attempt (default: the client's). */
  timeout?: number;
  /** Retries after a retryable failure (default: the client's). */
  maxRetries?: number;
  /** For POST/PATCH/DELETE: the Idempotency-Key (default: a new uuid, kept across retries). */
  idempotencyKey?: string;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
}

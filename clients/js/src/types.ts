/**
 * The API's types with camelCase keys (see `case.ts`): values, enums included, are as the API
 * sends them. Kept equal to `shared/openapi.json` by the drift test.
 */

/** What triggered an event. */
export type TriggerType = "motion" | "ai_tag" | "manual";
/** State of an event's AI analysis. */
export type AiStatus = "pending" | "completed" | "skipped" | "failed";
/** A user's or key's role; `ingest` is a recording gateway's key (the ingest routes only). */
export type Role = "viewer" | "operator" | "admin" | "ingest";

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
  /**
   * Pass as `cursor` (same filters) for the next page; null on the last page. A search page (`tag`,
   * `q`) that reached the server's scan cap may hold fewer than `limit` events, even none, and still
   * carry one: follow it until it is null.
   */
  nextCursor: string | null;
  /**
   * How many events match the filters, all pages together, counted on the first page of this
   * traversal (later pages carry that count): the matches at the time of the first page.
   */
  total: number;
  /**
   * false when `total` is a lower bound: more match than the server counts (`total` is that cap), or
   * a search stopped at its scan cap (`total` is the matches found so far).
   */
  totalExact: boolean;
}

/** A date filter: `YYYY-MM-DD` (that UTC day), RFC3339 text, or a `Date`. */
export type DateInput = string | Date;

/** The filters of `events.list`, `events.export` and `events.listDeleted` (query parameters). */
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
  /**
   * Events tagged with any of these values (exact match on `tags`), at most 10: `["person", "vehicle"]`
   * is sent as `tag=person&tag=vehicle`. An empty array filters nothing.
   */
  tag?: string[];
  /**
   * Word search, 1 to 5 words: each must equal a word of the event's summary, narrative, tags, camera
   * name or notes, or (from 3 characters) begin one, case and accents ignored (`"pac"` finds
   * "package", `"cafe"` finds "Café").
   */
  q?: string;
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

/** `events.listDeleted` parameters: the list's filters, a trash cursor and a page size. */
export interface TrashListParams extends EventFilters {
  /** A `nextCursor` of the trash issued for these filters (a list cursor is refused). */
  cursor?: string;
  /** Page size, 1-100 (server default 20). */
  limit?: number;
}

/** A dismissed event in the trash: the list item plus when and by whom (schema `TrashItem`). */
export interface TrashItem extends EventListItem {
  /** When it was dismissed, RFC3339 in UTC. */
  deletedAt: string;
  /** Who dismissed it: the user's id, or `key:<id>` for an API key. */
  deletedBy: string;
}

/** One page of the trash, newest dismissal first (schema `TrashList`). */
export interface TrashList {
  data: TrashItem[];
  /** Pass as `cursor` (same filters) for the next page; null on the last page (a search page may be short, or empty, and still have one). */
  nextCursor: string | null;
  /** How many dismissed events match the filters, counted on the first page of this traversal. */
  total: number;
  /** false when `total` is a lower bound (the count cap, or a search stopped at its scan cap). */
  totalExact: boolean;
}

/** What kind of actor made a change. */
export type ActorKind = "user" | "api_key" | "pipeline" | "scheduler";

/** Who acted (schema `Actor`). */
export interface Actor {
  kind: ActorKind;
  /** The user's id (the token's sub), or the API key's id. */
  id: string;
}

/** What a history entry records. */
export type HistoryAction = "update" | "delete" | "restore";

/** One field's value before and after a change (times as RFC3339 text). */
export interface FieldChange {
  old: unknown;
  new: unknown;
}

/** One change of an event (schema `HistoryEntry`). */
export interface HistoryEntry {
  /** When (server time), RFC3339 in UTC. */
  at: string;
  by: Actor;
  action: HistoryAction;
  /**
   * Each changed field by its API name, as sent (data: `acknowledged_by` stays snake_case),
   * with its old and new value.
   */
  changes: Record<string, FieldChange>;
}

/** One page of an event's history, oldest first (schema `HistoryPage`): no total. */
export interface HistoryPage {
  data: HistoryEntry[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** `events.history` parameters. */
export interface EventHistoryParams {
  /** A `nextCursor` of this event's history. */
  cursor?: string;
  /** Page size, 1-100 (server default 50). */
  limit?: number;
}

/** What a change did to an event. */
export type ChangeType =
  | "event.created"
  | "event.updated"
  | "event.deleted"
  | "event.restored"
  | "webhook_endpoint.disabled";

/**
 * One change of the feed (schema `Change`). Below admin, a dismissed event's changes carry only
 * `id`, `type`, `eventId` and `at`. A `webhook_endpoint.disabled` change names no event (`eventId`
 * null) but the `endpointId` and the `reason`.
 */
export interface Change {
  id: string;
  type: ChangeType;
  eventId: string | null;
  /** Only on `webhook_endpoint.disabled`: the endpoint disabled. */
  endpointId?: string;
  /** Only on `webhook_endpoint.disabled`: why. */
  reason?: string;
  /** When the change committed, RFC3339 in UTC. */
  at: string;
  actor?: Actor;
  /** The API names of the fields that changed, as sent (`acknowledged_by` stays snake_case). */
  changed?: string[];
  /** Only on `event.updated`: each changed field's previous value, keyed by its API name as sent. */
  previous?: Record<string, unknown>;
  /** The event as of the change, in the list's shape (`snapshotUrl` always null). */
  event?: EventListItem;
}

/** One page of the change feed, oldest first (schema `ChangePage`). */
export interface ChangePage {
  data: Change[];
  /** Where to resume (same filters): never null; an empty `data` means nothing new yet. */
  nextCursor: string;
}

/** `events.changes` parameters. */
export interface EventChangesParams {
  /** A `nextCursor` of the feed with the same filters. */
  cursor?: string;
  /** Without a cursor: the first commit time to return; without either, the oldest change kept. */
  since?: DateInput;
  /** Page size, 1-100 (server default 100). */
  limit?: number;
  /** The change types to return; all when absent. */
  types?: ChangeType[];
  cameraId?: string;
  siteId?: string;
  triggerType?: TriggerType;
  /** Only changes of events tagged with any of these values (at most 10), sent as `tag=a&tag=b`. */
  tag?: string[];
}

/**
 * The list's filters as a batch's selection (schema `BatchFilter`, no cursor or limit; `tag` a
 * non-empty array): every live event they match, up to the server's cap (more is 413 before anything
 * is written).
 */
export type BatchFilter = Omit<EventFilters, "cursor">;

/** A batch's events: exactly one of 1-100 `ids` and a `filter`. */
export type BatchSelection = { ids: string[]; filter?: never } | { filter: BatchFilter; ids?: never };

/** `events.batchUpdate` body (schema `BatchUpdateRequest`): the events and the PATCH fields to apply. */
export type BatchUpdateParams = BatchSelection & { changes: EventUpdateParams };

/** `events.batchDelete` body (schema `BatchDeleteRequest`). */
export type BatchDeleteParams = BatchSelection;

/** What a batch did to one selected event. */
export type BatchStatus = "changed" | "unchanged" | "not_found";

/** One selected id and what happened to it. */
export interface BatchResultItem {
  id: string;
  /** `not_found`: absent, another org's, malformed, or (for an update) dismissed. */
  status: BatchStatus;
}

/** What a batch did (schema `BatchResult`). */
export interface BatchResult {
  /** Events found (changed or unchanged). */
  matched: number;
  /** Events changed. */
  changed: number;
  /** Each selected event (ids in the order given, duplicates collapsed). */
  results: BatchResultItem[];
}

/** What an upsert did to its event. */
export type UpsertStatus = "created" | "updated" | "unchanged";

/** The answer of `events.upsert` (`PUT /api/v1/events/{id}`; schema `IngestOutcome`). */
export interface UpsertResult {
  id: string;
  /** `created` (201); `updated`: the pipeline's fields changed; `unchanged`: the same event again. */
  status: UpsertStatus;
}

/** What an ingest did to one event. */
export type IngestStatus = "created" | "updated" | "unchanged" | "invalid" | "superseded";

/** One event of an ingest, in input order. */
export interface IngestResultItem {
  /** null when the event had no usable id (then `index` says which it was). */
  id: string | null;
  /**
   * `invalid`: nothing written, `errors` says why; `superseded`: the same id came again later in
   * the same request (at `supersededBy`) and only that one was written.
   */
  status: IngestStatus;
  /** For `invalid`: each bad field (by its API name, as sent) and its problem. */
  errors?: Record<string, string>;
  /** The event's position in the whole input (from 0), given when its id is null. */
  index?: number;
  /** For `superseded`: the position (in the whole input) of the occurrence written instead. */
  supersededBy?: number;
}

/** What `events.ingest` did (schema `IngestResult`): the counts and each event's result, in input order. */
export interface IngestResult {
  created: number;
  updated: number;
  unchanged: number;
  invalid: number;
  superseded: number;
  results: IngestResultItem[];
}

/**
 * An event as a recording gateway loads it (`events.upsert`, `events.ingest`; schema
 * `IngestEvent`): the pipeline's fields of the detail shape plus `siteId` and the uploaded media's
 * objects, in camelCase. The server validates every field (unknown and computed ones, such as
 * `snapshotUrl`, are refused).
 */
export interface EventInput {
  /** Required by `ingest`; `upsert` takes it from its argument. */
  id?: string;
  siteId: string;
  cameraId: string;
  cameraName: string;
  cameraDeleted?: boolean;
  triggerType: TriggerType;
  /** RFC3339 text or a `Date`. */
  triggeredAt: DateInput;
  clipStartAt?: DateInput | null;
  clipEndAt?: DateInput | null;
  durationSec?: number | null;
  summary?: string | null;
  narrative?: string | null;
  tags?: string[];
  aiStatus: AiStatus;
  clipCodec?: string | null;
  recordingSource?: string | null;
  /** An object uploaded with `events.uploadMedia` (under `uploads/{id}/`). */
  snapshotObject?: string | null;
  clipObject?: string | null;
  /** Operator fields only seed a new event: a re-load never overwrites what operators did. */
  acknowledged?: boolean;
  acknowledgedBy?: string | null;
  acknowledgedAt?: DateInput | null;
  starred?: boolean;
  notes?: string | null;
}

/** The headers a signed upload must send, exactly (they are signed). */
export interface UploadHeaders {
  "Content-Type": "image/jpeg" | "video/mp4";
  /** The sizes Cloud Storage accepts, `0,<max bytes>`. */
  "x-goog-content-length-range": string;
}

/** One signed upload (schema `UploadTarget`): PUT the bytes to `url` with `headers` before `expiresAt`. */
export interface UploadTarget {
  url: string;
  method: "PUT";
  headers: UploadHeaders;
  /** The object's name: the event's `snapshotObject` or `clipObject`. */
  object: string;
  expiresAt: string;
}

/** The signed uploads of an event's media (schema `UploadUrls`). */
export interface UploadUrls {
  /** `image/jpeg`, at most 5 MiB. */
  snapshot: UploadTarget;
  /** `video/mp4`, at most 200 MiB. */
  clip: UploadTarget;
}

/** A media file's bytes: a `Uint8Array` (a Node `Buffer` is one), an `ArrayBuffer` or a `Blob`. */
export type MediaInput = Uint8Array | ArrayBuffer | Blob;

/** `events.uploadMedia`'s files: a snapshot (JPEG), a clip (MP4), or both. */
export interface UploadMediaParams {
  snapshot?: MediaInput;
  clip?: MediaInput;
}

/** The objects `events.uploadMedia` uploaded, ready to spread into the event: `{ ...event, ...objects }`. */
export interface MediaObjects {
  snapshotObject?: string;
  clipObject?: string;
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

/** One page of the org's keys (schema `ApiKeyList`), newest first. */
export interface ApiKeyList {
  data: ApiKey[];
  nextCursor: string | null;
}

/** `keys.list` query: the page size (1-100, default 20) and the cursor of a previous page. */
export interface KeyListParams {
  limit?: number;
  cursor?: string;
}

/** `keys.create` body (schema `ApiKeyRequest`): a viewer key names its sites; an ingest key may (it then writes only events of those sites). */
export type KeyCreateParams =
  | { name: string; role: "viewer"; siteIds: string[]; expiresAt?: DateInput | null }
  | { name: string; role: "operator" | "admin"; expiresAt?: DateInput | null }
  | { name: string; role: "ingest"; siteIds?: string[]; expiresAt?: DateInput | null };

/** Per-call options, the last argument of every method. */
export interface RequestOptions {
  /** Aborts the call (and its retries). */
  signal?: AbortSignal;
  /** Milliseconds per attempt (default: the client's). */
  timeout?: number;
  /** Retries after a retryable failure (default: the client's). */
  maxRetries?: number;
  /**
   * For POST/PUT/PATCH/DELETE: the Idempotency-Key (default: a new uuid, kept across retries). An
   * ingest sent in several requests gives request N (from 0) the key `KEY/N` (the first `KEY`).
   */
  idempotencyKey?: string;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
}

/** A ticket for opening the live stream as `?ticket=...` (schema `StreamTicket`): single use, valid 60 s. */
export interface StreamTicket {
  ticket: string;
  /** RFC3339 in UTC. */
  expiresAt: string;
}

/** `events.stream` parameters: the change feed's filters, where to start, and how to authenticate. */
export interface EventStreamParams {
  /** Where to start: an earlier stream's `lastId` (an SSE id) or a feed page's `nextCursor`; default: now. */
  cursor?: string;
  /** The change types to stream; all when absent. */
  types?: ChangeType[];
  cameraId?: string;
  siteId?: string;
  triggerType?: TriggerType;
  /** Only changes of events tagged with any of these values (at most 10). */
  tag?: string[];
  /**
   * Open each connection with a new single-use ticket (`?ticket=...&cursor=<last id>`) instead of the
   * Authorization header. Default: true in browsers (where only safelisted headers go without a
   * preflight), false on Node.
   */
  useTickets?: boolean;
  /** Called with the head's id when the cursor was past the change log's retention (changes in between are gone). */
  onReset?: (headId: string) => void;
}

import type { NovaVMS } from "../client.js";
import { CursorPage, FeedPage, PagePromise } from "../pagination.js";
import { EventStream } from "../stream.js";
import type { EventStreamParams, StreamTicket, BatchDeleteParams, BatchResult, BatchUpdateParams, Change, Event, EventChangesParams, EventHistoryParams, EventExportParams, EventListItem, EventListParams, EventUpdateParams, EventInput, HistoryEntry, IngestResult, MediaObjects, RequestOptions, TrashItem, TrashListParams, UploadMediaParams, UploadUrls, UpsertResult } from "../types.js";
/**
 * `novavms.events`: the events of the caller's org (a viewer sees only their sites): `list`, `get`,
 * `update`, `delete` and `export`/`exportStream`; the operator workflow's `batchUpdate`,
 * `batchDelete`, `listDeleted` (the trash), `restore`, each event's `history` and the change feed,
 * `changes`; and the way in for recording gateways (an ingest key, or admin): `upsert`, `ingest`,
 * `uploadUrls` and `uploadMedia`.
 *
 * A list call (`list`, `listDeleted`, `history`) returns a {@link PagePromise}: `await` it for the
 * first page (`.data` is that page's items), `for await (const e of ...)` for every item across pages.
 */
export declare class Events {
    #private;
    constructor(client: NovaVMS);
    /**
     * The caller's events, newest first. `await` it for one page (`data`, `nextCursor`, `total`);
     * `for await (const event of novavms.events.list({...}))` walks every matching event, one
     * request per page, with the same filters. Search with `tag` (any of the values) and `q` (every
     * word); a search page may hold fewer than `limit` events, even none, and still have a
     * `nextCursor` (the server's scan cap; `totalExact` is then false): iterating follows it to the end.
     */
    list(params?: EventListParams, options?: RequestOptions): PagePromise<EventListItem>;
    /** One event in full detail (signed clip and snapshot URLs, prev/next ids). */
    get(id: string, options?: RequestOptions): Promise<Event>;
    /** Acknowledges, stars or annotates an event; the updated event. */
    update(id: string, params: EventUpdateParams, options?: RequestOptions): Promise<Event>;
    /** Soft-deletes an event (admin). */
    delete(id: string, options?: RequestOptions): Promise<void>;
    /**
     * Applies the same changes (the `update` fields) to many events: `{ ids: [...1-100], changes }` or
     * `{ filter, changes }` (every live event the list's filters match, up to the server's cap; more
     * is 413 before anything is written). Each id's outcome is in `results`: `changed`, `unchanged`
     * or `not_found`. Operator or admin.
     */
    batchUpdate(params: BatchUpdateParams, options?: RequestOptions): Promise<BatchResult>;
    /** Dismisses (soft-deletes) many events: `{ ids }` or `{ filter }`, as {@link batchUpdate}. Admin. */
    batchDelete(params: BatchDeleteParams, options?: RequestOptions): Promise<BatchResult>;
    /**
     * The trash: dismissed events, newest dismissal first, with the list's filters (admin). Awaitable
     * (one page, with `total`) and async-iterable (every dismissed event, one request per page), as `list`.
     */
    listDeleted(params?: TrashListParams, options?: RequestOptions): PagePromise<TrashItem>;
    /** Undoes a dismissal (admin); the event as `get` answers it. Restoring a live event changes nothing. */
    restore(id: string, options?: RequestOptions): Promise<Event>;
    /**
     * An event's history, oldest first: who changed what and when. Awaitable (one page, no total) and
     * async-iterable (every entry, one request per page). Each entry's `changes` is keyed by the API's
     * field names, as sent (`acknowledged_by`). A dismissed event's history is 404 except for admins.
     */
    history(id: string, params?: EventHistoryParams, options?: RequestOptions): PagePromise<HistoryEntry, CursorPage<HistoryEntry>>;
    /**
     * The change feed, oldest first: every change to the caller's events (created, updated, deleted,
     * restored) with its actor, the fields that changed, their previous values and the event as of
     * the change. Awaitable (one page; its `nextCursor`, never null, is where to poll from later) and
     * async-iterable (every change until the feed is drained). A cursor older than the changes kept
     * throws `GoneError`.
     */
    changes(params?: EventChangesParams, options?: RequestOptions): PagePromise<Change, FeedPage<Change>>;
    /**
     * The live stream of changes (`GET /api/v1/events/stream`): an async iterable of the changes the
     * feed gets from now on (or after `cursor`), as they happen, with the filters of `changes`. It
     * reconnects after a drop or the server's close (with `Last-Event-ID` on Node, a new ticket and
     * `cursor` in browsers), never skipping or repeating a change; `lastId` is the feed cursor after the last change (the SSE id), a
     * cursor past retention moves it to the head (`resets`, `onReset`). `close()` or leaving the loop
     * closes it. Viewer and up.
     */
    stream(params?: EventStreamParams): EventStream;
    /**
     * A single-use ticket (valid 60 s) that opens the live stream as `?ticket=...` instead of a
     * bearer token, for a browser. Viewer and up (an ingest key is 403).
     */
    streamTicket(options?: RequestOptions): Promise<StreamTicket>;
    /**
     * Creates or re-loads one event (`PUT /api/v1/events/{id}`): the pipeline's fields plus `siteId`
     * and optional `snapshotObject`/`clipObject`, in camelCase (times may be `Date`s). Its `status`:
     * `created`, `updated` or `unchanged`; a re-load rewrites only the pipeline's fields, never what
     * operators did. A bad event throws `ValidationError` naming each bad field. An ingest key, or admin.
     */
    upsert(id: string, event: EventInput, options?: RequestOptions): Promise<UpsertResult>;
    /**
     * Creates or re-loads any number of events (`POST /api/v1/events/ingest`), each validated on its
     * own: one report of them all, in input order (an invalid event is reported with its `errors`
     * and nothing of it is written). `events` is any iterable or async iterable, read lazily and sent
     * in requests of at most 500 events, one after the other (each retried as any call is, a 429
     * after its Retry-After). When a request after the first fails for good, `IngestIncompleteError`
     * reports what the earlier ones wrote. An empty input throws `ValidationError`. An ingest key, or admin.
     */
    ingest(events: Iterable<EventInput> | AsyncIterable<EventInput>, options?: RequestOptions): Promise<IngestResult>;
    /**
     * Signed PUT URLs for the event's `snapshot` (`image/jpeg`, up to 5 MiB) and `clip` (`video/mp4`,
     * up to 200 MiB), valid 15 minutes, whether or not the event exists yet. Each target's `object` is
     * the name to give the event. An ingest key, or admin.
     */
    uploadUrls(id: string, options?: RequestOptions): Promise<UploadUrls>;
    /**
     * Uploads the event's `snapshot` (JPEG) and/or `clip` (MP4), each a `Uint8Array` (or Node
     * `Buffer`), `ArrayBuffer` or `Blob`: asks for {@link uploadUrls}, then PUTs both at once to
     * their signed URLs with the signed headers only (never the API key). Returns the object names
     * to spread into the event: `events.upsert(id, { ...event, ...objects })`. A file the storage
     * refuses (too large, expired URL) throws `UploadError`.
     */
    uploadMedia(id: string, media: UploadMediaParams, options?: RequestOptions): Promise<MediaObjects>;
    /** The CSV of the matching events (a header row, then one row per event), as text. */
    export(params?: EventExportParams, options?: RequestOptions): Promise<string>;
    /**
     * The CSV as a web `ReadableStream` of bytes, for large exports (on Node:
     * `Readable.fromWeb(stream).pipe(createWriteStream(path))`). Errors of the answer are thrown
     * here; a transfer that breaks midway errors the stream with {@link APIConnectionError}, it never
     * ends quietly (nor with fewer rows than X-Export-Rows announced). The timeout covers the wait for the answer's headers; pass `signal` to cancel later.
     */
    exportStream(params?: EventExportParams, options?: RequestOptions): Promise<ReadableStream<Uint8Array>>;
}

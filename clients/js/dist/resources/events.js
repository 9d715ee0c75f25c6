import { toCamel } from "../case.js";
import { APIConnectionError } from "../errors.js";
import { ExportRowCounter } from "../export-rows.js";
import { IngestReports, batchKey, batches } from "../ingest.js";
import { CursorPage, FeedPage, Page, PagePromise } from "../pagination.js";
import { EventStream } from "../stream.js";
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
export class Events {
    #client;
    constructor(client) {
        this.#client = client;
    }
    /**
     * The caller's events, newest first. `await` it for one page (`data`, `nextCursor`, `total`);
     * `for await (const event of novavms.events.list({...}))` walks every matching event, one
     * request per page, with the same filters. Search with `tag` (any of the values) and `q` (every
     * word); a search page may hold fewer than `limit` events, even none, and still have a
     * `nextCursor` (the server's scan cap; `totalExact` is then false): iterating follows it to the end.
     */
    list(params = {}, options) {
        const fetchPage = async (query) => {
            const body = toCamel(await this.#client.requestJson("list_events", { query }, options));
            return new Page(body, (cursor) => fetchPage({ ...params, cursor }));
        };
        return new PagePromise(() => fetchPage(params));
    }
    /** One event in full detail (signed clip and snapshot URLs, prev/next ids). */
    async get(id, options) {
        return toCamel(await this.#client.requestJson("get_event", { pathParams: { id } }, options));
    }
    /** Acknowledges, stars or annotates an event; the updated event. */
    async update(id, params, options) {
        const answer = await this.#client.requestJson("update_event", { pathParams: { id }, body: params }, options);
        return toCamel(answer);
    }
    /** Soft-deletes an event (admin). */
    async delete(id, options) {
        await this.#client.requestJson("delete_event", { pathParams: { id } }, options);
    }
    /**
     * Applies the same changes (the `update` fields) to many events: `{ ids: [...1-100], changes }` or
     * `{ filter, changes }` (every live event the list's filters match, up to the server's cap; more
     * is 413 before anything is written). Each id's outcome is in `results`: `changed`, `unchanged`
     * or `not_found`. Operator or admin.
     */
    async batchUpdate(params, options) {
        return toCamel(await this.#client.requestJson("batch_update_events", { body: params }, options));
    }
    /** Dismisses (soft-deletes) many events: `{ ids }` or `{ filter }`, as {@link batchUpdate}. Admin. */
    async batchDelete(params, options) {
        return toCamel(await this.#client.requestJson("batch_delete_events", { body: params }, options));
    }
    /**
     * The trash: dismissed events, newest dismissal first, with the list's filters (admin). Awaitable
     * (one page, with `total`) and async-iterable (every dismissed event, one request per page), as `list`.
     */
    listDeleted(params = {}, options) {
        const fetchPage = async (query) => {
            const body = toCamel(await this.#client.requestJson("list_deleted_events", { query }, options));
            return new Page(body, (cursor) => fetchPage({ ...params, cursor }));
        };
        return new PagePromise(() => fetchPage(params));
    }
    /** Undoes a dismissal (admin); the event as `get` answers it. Restoring a live event changes nothing. */
    async restore(id, options) {
        return toCamel(await this.#client.requestJson("restore_event", { pathParams: { id } }, options));
    }
    /**
     * An event's history, oldest first: who changed what and when. Awaitable (one page, no total) and
     * async-iterable (every entry, one request per page). Each entry's `changes` is keyed by the API's
     * field names, as sent (`acknowledged_by`). A dismissed event's history is 404 except for admins.
     */
    history(id, params = {}, options) {
        const fetchPage = async (query) => {
            const answer = await this.#client.requestJson("get_event_history", { pathParams: { id }, query }, options);
            return new CursorPage(toCamel(answer), (cursor) => fetchPage({ ...params, cursor }));
        };
        return new PagePromise(() => fetchPage(params));
    }
    /**
     * The change feed, oldest first: every change to the caller's events (created, updated, deleted,
     * restored) with its actor, the fields that changed, their previous values and the event as of
     * the change. Awaitable (one page; its `nextCursor`, never null, is where to poll from later) and
     * async-iterable (every change until the feed is drained). A cursor older than the changes kept
     * throws `GoneError`.
     */
    changes(params = {}, options) {
        const fetchPage = async (wanted) => {
            const { types, ...rest } = wanted;
            const query = { ...rest, types: types?.join(",") };
            const answer = await this.#client.requestJson("list_changes", { query }, options);
            const { since: _since, ...after } = params;
            return new FeedPage(toCamel(answer), (cursor) => fetchPage({ ...after, cursor }));
        };
        return new PagePromise(() => fetchPage(params));
    }
    /**
     * The live stream of changes (`GET /api/v1/events/stream`): an async iterable of the changes the
     * feed gets from now on (or after `cursor`), as they happen, with the filters of `changes`. It
     * reconnects after a drop or the server's close (with `Last-Event-ID` on Node, a new ticket and
     * `cursor` in browsers), never skipping or repeating a change; `lastId` is the feed cursor after the last change (the SSE id), a
     * cursor past retention moves it to the head (`resets`, `onReset`). `close()` or leaving the loop
     * closes it. Viewer and up.
     */
    stream(params = {}) {
        return new EventStream(this.#client, params);
    }
    /**
     * A single-use ticket (valid 60 s) that opens the live stream as `?ticket=...` instead of a
     * bearer token, for a browser. Viewer and up (an ingest key is 403).
     */
    async streamTicket(options) {
        return toCamel(await this.#client.requestJson("create_stream_ticket", {}, options));
    }
    /**
     * Creates or re-loads one event (`PUT /api/v1/events/{id}`): the pipeline's fields plus `siteId`
     * and optional `snapshotObject`/`clipObject`, in camelCase (times may be `Date`s). Its `status`:
     * `created`, `updated` or `unchanged`; a re-load rewrites only the pipeline's fields, never what
     * operators did. A bad event throws `ValidationError` naming each bad field. An ingest key, or admin.
     */
    async upsert(id, event, options) {
        const answer = await this.#client.requestJson("upsert_event", { pathParams: { id }, body: event }, options);
        return toCamel(answer);
    }
    /**
     * Creates or re-loads any number of events (`POST /api/v1/events/ingest`), each validated on its
     * own: one report of them all, in input order (an invalid event is reported with its `errors`
     * and nothing of it is written). `events` is any iterable or async iterable, read lazily and sent
     * in requests of at most 500 events, one after the other (each retried as any call is, a 429
     * after its Retry-After). When a request after the first fails for good, `IngestIncompleteError`
     * reports what the earlier ones wrote. An empty input throws `ValidationError`. An ingest key, or admin.
     */
    async ingest(events, options = {}) {
        const reports = new IngestReports();
        const { idempotencyKey: given, ...rest } = options;
        let n = 0;
        for await (const batch of batches(events)) {
            const idempotencyKey = batchKey(given, n++);
            const batchOptions = idempotencyKey === undefined ? rest : { ...rest, idempotencyKey };
            let answer;
            try {
                answer = await this.#client.requestJson("ingest_events", { body: { events: batch } }, batchOptions);
            }
            catch (error) {
                throw reports.failure(error);
            }
            reports.add(toCamel(answer), batch.length);
        }
        return reports.result();
    }
    /**
     * Signed PUT URLs for the event's `snapshot` (`image/jpeg`, up to 5 MiB) and `clip` (`video/mp4`,
     * up to 200 MiB), valid 15 minutes, whether or not the event exists yet. Each target's `object` is
     * the name to give the event. An ingest key, or admin.
     */
    async uploadUrls(id, options) {
        return toCamel(await this.#client.requestJson("create_upload_urls", { pathParams: { id } }, options));
    }
    /**
     * Uploads the event's `snapshot` (JPEG) and/or `clip` (MP4), each a `Uint8Array` (or Node
     * `Buffer`), `ArrayBuffer` or `Blob`: asks for {@link uploadUrls}, then PUTs both at once to
     * their signed URLs with the signed headers only (never the API key). Returns the object names
     * to spread into the event: `events.upsert(id, { ...event, ...objects })`. A file the storage
     * refuses (too large, expired URL) throws `UploadError`.
     */
    async uploadMedia(id, media, options) {
        const given = ["snapshot", "clip"].filter((kind) => media[kind] !== undefined);
        if (given.length === 0)
            throw new TypeError("uploadMedia needs { snapshot }, { clip } or both");
        const urls = await this.uploadUrls(id, options);
        const { idempotencyKey: _key, ...uploadOptions } = options ?? {};
        await Promise.all(given.map((kind) => this.#client.upload(urls[kind], uploadBody(media[kind]), uploadOptions)));
        const objects = {};
        if (media.snapshot !== undefined)
            objects.snapshotObject = urls.snapshot.object;
        if (media.clip !== undefined)
            objects.clipObject = urls.clip.object;
        return objects;
    }
    /** The CSV of the matching events (a header row, then one row per event), as text. */
    async export(params = {}, options) {
        const answer = await this.#client.request("export_events", { query: params, accept: "text/csv" }, options);
        let bytes;
        try {
            bytes = new Uint8Array(await answer.response.arrayBuffer());
        }
        catch (error) {
            const failure = answer.bodyError(error);
            throw failure instanceof APIConnectionError ? new APIConnectionError(`The export broke off: ${failure.message}`, error) : failure;
        }
        finally {
            answer.done();
        }
        const rows = new ExportRowCounter(answer.response.headers.get("x-export-rows"));
        rows.add(bytes);
        rows.check();
        return new TextDecoder().decode(bytes);
    }
    /**
     * The CSV as a web `ReadableStream` of bytes, for large exports (on Node:
     * `Readable.fromWeb(stream).pipe(createWriteStream(path))`). Errors of the answer are thrown
     * here; a transfer that breaks midway errors the stream with {@link APIConnectionError}, it never
     * ends quietly (nor with fewer rows than X-Export-Rows announced). The timeout covers the wait for the answer's headers; pass `signal` to cancel later.
     */
    async exportStream(params = {}, options) {
        const answer = await this.#client.request("export_events", { query: params, accept: "text/csv" }, options);
        answer.done();
        const body = answer.response.body;
        if (body === null)
            return new ReadableStream({ start: (controller) => controller.close() });
        const reader = body.getReader();
        const rows = new ExportRowCounter(answer.response.headers.get("x-export-rows"));
        return new ReadableStream({
            async pull(controller) {
                try {
                    const { done, value } = await reader.read();
                    if (done) {
                        rows.check();
                        controller.close();
                    }
                    else {
                        rows.add(value);
                        controller.enqueue(value);
                    }
                }
                catch (error) {
                    const failure = error instanceof APIConnectionError ? error : answer.bodyError(error);
                    controller.error(failure instanceof APIConnectionError && !failure.message.startsWith("The export broke off")
                        ? new APIConnectionError(`The export broke off: ${failure.message}`, error)
                        : failure);
                }
            },
            cancel(reason) {
                return reader.cancel(reason);
            },
        });
    }
}
/** Bytes as `fetch` sends them. */
function uploadBody(media) {
    return media instanceof ArrayBuffer ? new Uint8Array(media) : media;
}

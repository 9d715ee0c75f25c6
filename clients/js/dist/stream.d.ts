/**
 * The live event stream (`GET /api/v1/events/stream`, Server-Sent Events) as an async iterable of
 * changes that resumes where it broke.
 *
 * Each message is one change of the change feed (`id:` its cursor, `event:` its type, `data:` the
 * change as `events.changes` shows it). The stream remembers the id of the last message and, when the
 * connection drops, falls silent for longer than the client's timeout, or the server closes it (after
 * its maximum duration or at the token's expiry), reconnects from there: with `Last-Event-ID` on
 * Node, or with a new ticket and `?cursor=<last id>` in browsers. No change is skipped or repeated.
 * Between connections it waits the server's `retry:` time (2 s), jittered, doubling while connections
 * keep failing, up to 30 s; a 429's Retry-After wins. The first connection is retried as any call is
 * (`maxRetries`); later reconnections keep trying. A final answer (401 at the token's expiry, 403,
 * ...) throws its {@link APIError}; `lastId` says where to resume with a new credential.
 *
 * A cursor older than the change log's retention gets one `event: reset` message whose id is the
 * current head: the stream continues from the head, counts it in `resets` and calls `onReset`.
 */
import { type NovaVMS } from "./client.js";
import type { Change, EventStreamParams } from "./types.js";
export declare const RESET_EVENT = "reset";
export declare const DEFAULT_STREAM_RETRY_MS = 2000;
export declare const MAX_STREAM_DELAY_MS = 30000;
/**
 * `novavms.events.stream(params)`: `for await (const change of stream)`, forever; `close()` (or
 * leaving the loop) closes its connection.
 */
export declare class EventStream implements AsyncIterable<Change> {
    #private;
    /** The cursor of the last change delivered (or of a reset's head): where a new stream, or `events.changes({ cursor })`, resumes. */
    lastId: string | undefined;
    /** How many times the server said the cursor was past retention (the stream moved to the head). */
    resets: number;
    /** The reconnection time the server gave (`retry:`), in milliseconds. */
    retryMs: number;
    constructor(client: NovaVMS, params?: EventStreamParams);
    /** Closes the connection; the iteration ends. */
    close(): void;
    [Symbol.asyncIterator](): AsyncIterator<Change>;
}

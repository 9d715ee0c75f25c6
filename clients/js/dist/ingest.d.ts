/**
 * How `events.ingest` sends any number of events and reports them as one. The server takes 1-500
 * events a request (more is 413): the input is read lazily in batches of at most {@link MAX_BATCH},
 * sent one after the other in input order, and the answers are merged into one report in input
 * order, the counts added up and each result's positions (`index`, `supersededBy`) made positions in
 * the whole input. An id sent twice in one request is written once (the earlier occurrence is
 * `superseded`); in two requests the later one wins too, but both are written. An empty input is still sent, once, so
 * that the server's 400 names `events`.
 */
import type { IngestResult } from "./types.js";
/** The most events one `POST /api/v1/events/ingest` takes. */
export declare const MAX_BATCH = 500;
/** `events` in arrays of at most `size`, read as they are needed; an empty input gives one empty array. */
export declare function batches<T>(events: Iterable<T> | AsyncIterable<T>, size?: number): AsyncGenerator<T[]>;
/** The Idempotency-Key of batch `n` (from 0): the caller's for the first, `KEY/n` after it; undefined: a fresh one each. */
export declare function batchKey(key: string | undefined, n: number): string | undefined;
/** The answers of an ingest's batches, merged into one report in input order. */
export declare class IngestReports {
    #private;
    /** How many events of the input the answers so far cover. */
    sent: number;
    /** The answer of the next batch, of `count` events. */
    add(answer: IngestResult, count: number): void;
    /** The report of every batch so far, as the server would answer one request of them all. */
    result(): IngestResult;
    /** What to throw when the next batch failed: the error itself while nothing was written, else an {@link IngestIncompleteError}. */
    failure(error: unknown): unknown;
}

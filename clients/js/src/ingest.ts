/**
 * How `events.ingest` sends any number of events and reports them as one. The server takes 1-500
 * events a request (more is 413): the input is read lazily in batches of at most {@link MAX_BATCH},
 * sent one after the other in input order, and the answers are merged into one report in input
 * order, the counts added up and each result's positions (`index`, `supersededBy`) made positions in
 * the whole input. An id sent twice in one request is written once (the earlier occurrence is
 * `superseded`); in two requests the later one wins too, but both are written. An empty input is still sent, once, so
 * that the server's 400 names `events`.
 */

import { IngestIncompleteError, NovaVMSError } from "./errors.js";
import type { IngestResult } from "./types.js";

/** The most events one `POST /api/v1/events/ingest` takes. */
export const MAX_BATCH = 500;
const COUNTS = ["created", "updated", "unchanged", "invalid", "superseded"] as const;

/** `events` in arrays of at most `size`, read as they are needed; an empty input gives one empty array. */
export async function* batches<T>(events: Iterable<T> | AsyncIterable<T>, size = MAX_BATCH): AsyncGenerator<T[]> {
  if (!(size >= 1)) throw new RangeError(`a batch holds at least one event, not ${size}`);
  let pending: T[] = [];
  let sentAny = false;
  for await (const event of events) {
    pending.push(event);
    if (pending.length === size) {
      yield pending;
      pending = [];
      sentAny = true;
    }
  }
  if (pending.length > 0 || !sentAny) yield pending;
}

/** The Idempotency-Key of batch `n` (from 0): the caller's for the first, `KEY/n` after it; undefined: a fresh one each. */
export function batchKey(key: string | undefined, n: number): string | undefined {
  return key === undefined || n === 0 ? key : `${key}/${n}`;
}

/** The answers of an ingest's batches, merged into one report in input order. */
export class IngestReports {
  readonly #answers: { offset: number; answer: IngestResult }[] = [];
  /** How many events of the input the answers so far cover. */
  sent = 0;

  /** The answer of the next batch, of `count` events. */
  add(answer: IngestResult, count: number): void {
    this.#answers.push({ offset: this.sent, answer });
    this.sent += count;
  }

  /** The report of every batch so far, as the server would answer one request of them all. */
  result(): IngestResult {
    if (this.#answers.length === 1) return this.#answers[0]!.answer;
    const report: IngestResult = { created: 0, updated: 0, unchanged: 0, invalid: 0, superseded: 0, results: [] };
    for (const { offset, answer } of this.#answers) {
      for (const count of COUNTS) report[count] += answer[count];
      for (const item of answer.results) {
        const moved = { ...item };
        if (typeof moved.index === "number") moved.index += offset;
        if (typeof moved.supersededBy === "number") moved.supersededBy += offset;
        report.results.push(moved);
      }
    }
    return report;
  }

  /** What to throw when the next batch failed: the error itself while nothing was written, else an {@link IngestIncompleteError}. */
  failure(error: unknown): unknown {
    if (this.#answers.length === 0 || !(error instanceof NovaVMSError)) return error;
    return new IngestIncompleteError(error, this.result(), this.sent);
  }
}

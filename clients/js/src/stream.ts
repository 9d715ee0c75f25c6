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

import { toCamel } from "./case.js";
import { parsedOrText, type NovaVMS } from "./client.js";
import { APIConnectionError, APIError, APIUserAbortError, NovaVMSError, errorFromAnswer, retryAfterSeconds } from "./errors.js";
import { MAX_RETRY_AFTER_SECONDS, isRetryableStatus } from "./retry.js";
import { isBrowser, sleep } from "./runtime.js";
import { SSEDecoder, type ServerSentEvent } from "./sse.js";
import type { Change, EventStreamParams, StreamTicket } from "./types.js";

export const RESET_EVENT = "reset";
export const DEFAULT_STREAM_RETRY_MS = 2000;
export const MAX_STREAM_DELAY_MS = 30_000;
const ACCEPT = "text/event-stream";

/** Why a connection ended: nothing (a clean close), or the error that ended it. */
type Ending = NovaVMSError | undefined;

/**
 * `novavms.events.stream(params)`: `for await (const change of stream)`, forever; `close()` (or
 * leaving the loop) closes its connection.
 */
export class EventStream implements AsyncIterable<Change> {
  /** The cursor of the last change delivered (or of a reset's head): where a new stream, or `events.changes({ cursor })`, resumes. */
  lastId: string | undefined;
  /** How many times the server said the cursor was past retention (the stream moved to the head). */
  resets = 0;
  /** The reconnection time the server gave (`retry:`), in milliseconds. */
  retryMs = DEFAULT_STREAM_RETRY_MS;
  readonly #client: NovaVMS;
  readonly #params: EventStreamParams;
  readonly #useTickets: boolean;
  readonly #closed = new AbortController();
  #opened = false;
  #failures = 0;
  #iterating = false;

  constructor(client: NovaVMS, params: EventStreamParams = {}) {
    this.#client = client;
    this.#params = params;
    this.lastId = params.cursor;
    this.#useTickets = params.useTickets ?? isBrowser();
  }

  /** Closes the connection; the iteration ends. */
  close(): void {
    this.#closed.abort();
  }

  [Symbol.asyncIterator](): AsyncIterator<Change> {
    if (this.#iterating) throw new NovaVMSError("An event stream is iterated once: open another with events.stream().");
    this.#iterating = true;
    return this.#changes();
  }

  async *#changes(): AsyncGenerator<Change, void, undefined> {
    const closed = this.#closed.signal;
    while (!closed.aborted) {
      const connection = new AbortController();
      const onClose = (): void => connection.abort();
      closed.addEventListener("abort", onClose, { once: true });
      let ending: Ending;
      try {
        const response = await this.#connect(connection.signal);
        if (response) {
          ending = yield* this.#read(response, connection);
        }
      } catch (error) {
        if (closed.aborted) return;
        if (!(error instanceof NovaVMSError) || error instanceof APIUserAbortError) throw error;
        ending = error;
      } finally {
        connection.abort();
        closed.removeEventListener("abort", onClose);
      }
      if (closed.aborted) return;
      const delay = this.#delay(ending);
      try {
        await sleep(delay, closed);
      } catch {
        return;
      }
    }
  }

  /** One connection's answer when it is a 2xx; throws the error of a refusal. */
  async #connect(signal: AbortSignal): Promise<Response> {
    const { useTickets: _u, onReset: _r, cursor: _c, types, ...filters } = this.#params;
    const query: Record<string, string | string[] | undefined> = { ...filters, types: types?.join(",") };
    const headers: Record<string, string> = {};
    if (this.#useTickets) {
      const ticket = await this.#client.events.streamTicket({ signal });
      query["ticket"] = ticket.ticket;
      query["cursor"] = this.lastId;
    } else if (this.#opened && this.lastId) {
      headers["Last-Event-ID"] = this.lastId;
      headers["Cache-Control"] = "no-cache";
    } else {
      query["cursor"] = this.lastId;
    }
    const response = await this.#client.openStream(
      "stream_events",
      { query, accept: ACCEPT },
      { signal, credentials: !this.#useTickets, headers },
    );
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw errorFromAnswer({ status: response.status, headers: response.headers, body: parsedOrText(text) });
    }
    this.#opened = true;
    return response;
  }

  /** Yields the changes of one connection; its ending (undefined for the server's clean close). */
  async *#read(response: Response, connection: AbortController): AsyncGenerator<Change, Ending, undefined> {
    const body = response.body;
    if (!body) return new APIConnectionError("The stream's answer has no body.");
    const reader = body.getReader();
    const text = new TextDecoder();
    const decoder = new SSEDecoder();
    let silent = false;
    let timer = setTimeout(() => ((silent = true), connection.abort()), this.#client.timeout);
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (this.#closed.signal.aborted) return undefined;
          const why = silent ? `no byte for ${this.#client.timeout} ms` : error instanceof Error ? error.message : String(error);
          return new APIConnectionError(`The event stream broke: ${why}`, error);
        }
        clearTimeout(timer);
        timer = setTimeout(() => ((silent = true), connection.abort()), this.#client.timeout);
        if (chunk.done) return undefined;
        this.#failures = 0;
        for (const event of decoder.feed(text.decode(chunk.value, { stream: true }))) {
          const change = this.#message(event);
          if (change) yield change;
        }
        if (decoder.retryMs !== undefined) this.retryMs = decoder.retryMs;
        // A message without data (no change to yield) may also have moved the last id.
        if (decoder.lastId) this.lastId = decoder.lastId;
      }
    } finally {
      clearTimeout(timer);
      reader.cancel().catch(() => undefined);
    }
  }

  /** The change a message carries; undefined for a reset (the stream moves to the head). */
  #message(event: ServerSentEvent): Change | undefined {
    if (event.id) this.lastId = event.id;
    if (event.event === RESET_EVENT) {
      this.resets += 1;
      this.#params.onReset?.(event.id);
      return undefined;
    }
    return toCamel<Change>(JSON.parse(event.data) as unknown);
  }

  /** Milliseconds before the next connection; throws `ending` when it is final. */
  #delay(ending: Ending): number {
    if (ending !== undefined) {
      const retryable = ending instanceof APIConnectionError || (ending instanceof APIError && isRetryableStatus(ending.status, ending.headers));
      if (!retryable || (!this.#opened && this.#failures >= this.#client.maxRetries)) throw ending;
      const asked = ending instanceof APIError ? retryAfterSeconds(ending.headers) : undefined;
      if (asked !== undefined && asked <= MAX_RETRY_AFTER_SECONDS) {
        this.#failures += 1;
        return asked * 1000 + Math.random() * 100;
      }
    }
    const backoff = Math.min(MAX_STREAM_DELAY_MS, this.retryMs * 2 ** this.#failures);
    this.#failures += 1;
    return backoff * (0.5 + Math.random() * 0.5);
  }
}

/**
 * A Server-Sent Events decoder, as the WHATWG HTML standard's "event stream interpretation" says.
 *
 * Text is fed in chunks of any size (a line or a CRLF may be split between chunks). Lines end with
 * CRLF, LF or CR; a line starting with `:` is a comment (the server's heartbeat); `field: value` loses
 * one space after the colon; `data` lines join with `\n`; `id` sets the last event id at the
 * message's end (kept across messages, also by one without data; one holding NUL is ignored);
 * `retry` (digits only) is the reconnection time in milliseconds; a blank line dispatches the message
 * when it has data. Unknown fields are ignored.
 */
/** One dispatched message: its `event` type (`message` when none was given), `data` and the last event `id` at its dispatch (`""` when none was ever given). */
export interface ServerSentEvent {
    event: string;
    data: string;
    id: string;
}
/** Feed it text with {@link SSEDecoder.feed}; `lastId` is the last event id of the messages ended so far, `retryMs` the last reconnection time given. */
export declare class SSEDecoder {
    #private;
    lastId: string;
    retryMs: number | undefined;
    /** The messages that `text` completes, in order. */
    feed(text: string): ServerSentEvent[];
}

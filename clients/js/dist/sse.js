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
const LINE_END = /\r\n|\r|\n/g;
/** Feed it text with {@link SSEDecoder.feed}; `lastId` is the last event id of the messages ended so far, `retryMs` the last reconnection time given. */
export class SSEDecoder {
    lastId = "";
    retryMs = undefined;
    #id = "";
    #buffer = "";
    #skipLf = false;
    #started = false;
    #event = "";
    #data = [];
    /** The messages that `text` completes, in order. */
    feed(text) {
        if (text === "")
            return [];
        if (!this.#started) {
            this.#started = true;
            if (text.startsWith("\ufeff"))
                text = text.slice(1);
        }
        if (this.#skipLf && text.startsWith("\n"))
            text = text.slice(1);
        this.#skipLf = false;
        const buffer = this.#buffer + text;
        const events = [];
        let start = 0;
        for (const end of buffer.matchAll(LINE_END)) {
            const event = this.#line(buffer.slice(start, end.index));
            if (event)
                events.push(event);
            start = end.index + end[0].length;
            if (end[0] === "\r" && start === buffer.length)
                this.#skipLf = true;
        }
        this.#buffer = buffer.slice(start);
        return events;
    }
    #line(line) {
        if (line === "")
            return this.#dispatch();
        if (line.startsWith(":"))
            return undefined;
        const colon = line.indexOf(":");
        const name = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" "))
            value = value.slice(1);
        if (name === "event")
            this.#event = value;
        else if (name === "data")
            this.#data.push(value);
        else if (name === "id" && !value.includes("\0"))
            this.#id = value;
        else if (name === "retry" && /^[0-9]+$/.test(value))
            this.retryMs = Number(value);
        return undefined;
    }
    #dispatch() {
        this.lastId = this.#id;
        const event = this.#event || "message";
        const data = this.#data;
        this.#event = "";
        this.#data = [];
        return data.length === 0 ? undefined : { event, data: data.join("\n"), id: this.lastId };
    }
}

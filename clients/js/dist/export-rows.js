/**
 * The export's completeness check: the server announces the row count (X-Export-Rows) before the
 * first byte, so a CSV that ends with fewer records was cut, even when the connection closed
 * "cleanly". Counts record ends (line feeds outside quoted fields) on the raw UTF-8 bytes.
 */
import { APIConnectionError } from "./errors.js";
const QUOTE = 0x22;
const LINE_FEED = 0x0a;
export class ExportRowCounter {
    #quoted = false;
    #records = 0;
    #expected;
    /** `announced` is the X-Export-Rows header (data rows, the header row not counted). */
    constructor(announced) {
        const rows = announced === null ? NaN : Number(announced);
        this.#expected = Number.isInteger(rows) && rows >= 0 ? rows + 1 : undefined;
    }
    add(bytes) {
        for (const byte of bytes) {
            if (byte === QUOTE)
                this.#quoted = !this.#quoted;
            else if (byte === LINE_FEED && !this.#quoted)
                this.#records++;
        }
    }
    /** Throws when the CSV holds fewer (or more) records than announced. */
    check() {
        if (this.#expected !== undefined && this.#records !== this.#expected) {
            throw new APIConnectionError(`The export broke off: ${this.#records - 1} of ${this.#expected - 1} rows arrived (X-Export-Rows).`);
        }
    }
}

export declare class ExportRowCounter {
    #private;
    /** `announced` is the X-Export-Rows header (data rows, the header row not counted). */
    constructor(announced: string | null);
    add(bytes: Uint8Array): void;
    /** Throws when the CSV holds fewer (or more) records than announced. */
    check(): void;
}

/**
 * Cursor paging: a {@link Page} is one answer of a list operation (a {@link CursorPage} when the
 * operation counts no total, as `events.history`); a {@link PagePromise} is what `events.list()`,
 * `events.listDeleted()` and `events.history()` return, awaitable (the first page) and async-iterable
 * (every item of every page, one request per page, with the same parameters).
 */
/** One page of a cursor-paged operation: its items and the cursor of the next one. */
export declare class CursorPage<Item> implements AsyncIterable<Item> {
    #private;
    readonly data: Item[];
    /**
     * The next page's cursor; null on the last page. A page that is short, or empty, may still have
     * one (a search that reached the server's scan cap): whether more follow is this, never `data.length`.
     */
    readonly nextCursor: string | null;
    constructor(body: {
        data: Item[];
        nextCursor: string | null;
    }, fetchPage: (cursor: string) => Promise<CursorPage<Item>>);
    hasNextPage(): boolean;
    /** The next page (same parameters); throws on the last page. */
    getNextPage(): Promise<CursorPage<Item>>;
    /** Every item of this page and the pages after it. */
    [Symbol.asyncIterator](): AsyncIterator<Item>;
}
/** One page of a list with a total (`events.list`, `events.listDeleted`). */
export declare class Page<Item> extends CursorPage<Item> {
    /** How many items match, all pages together, as counted on the traversal's first page. */
    readonly total: number;
    /**
     * false when `total` is a lower bound: more match than the server counts (`total` is that cap), or
     * a search stopped at its scan cap (`total` is the matches found so far).
     */
    readonly totalExact: boolean;
    constructor(body: {
        data: Item[];
        nextCursor: string | null;
        total: number;
        totalExact: boolean;
    }, fetchPage: (cursor: string) => Promise<Page<Item>>);
    /** The next page (same filters); throws on the last page. */
    getNextPage(): Promise<Page<Item>>;
}
/**
 * One page of the change feed (`events.changes`): its `nextCursor` is never null (poll with it
 * later); iterating stops at the first page with no change, where the feed is drained for now.
 */
export declare class FeedPage<Item> extends CursorPage<Item> {
    /** Where to resume: never null. */
    readonly nextCursor: string;
    constructor(body: {
        data: Item[];
        nextCursor: string;
    }, fetchPage: (cursor: string) => Promise<FeedPage<Item>>);
    /** Whether a further page may hold changes now: false once a page comes back empty. */
    hasNextPage(): boolean;
    /** The page after this one (same filters). */
    getNextPage(): Promise<FeedPage<Item>>;
}
/** `await` it for the first page; `for await` over it for every item across pages. */
export declare class PagePromise<Item, P extends CursorPage<Item> = Page<Item>> implements PromiseLike<P>, AsyncIterable<Item> {
    #private;
    constructor(load: () => Promise<P>);
    then<A = P, B = never>(onFulfilled?: ((page: P) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B>;
    catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<P | B>;
    finally(onFinally?: (() => void) | null): Promise<P>;
    [Symbol.asyncIterator](): AsyncIterator<Item>;
    get [Symbol.toStringTag](): string;
}

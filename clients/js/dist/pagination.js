/**
 * Cursor paging: a {@link Page} is one answer of a list operation (a {@link CursorPage} when the
 * operation counts no total, as `events.history`); a {@link PagePromise} is what `events.list()`,
 * `events.listDeleted()` and `events.history()` return, awaitable (the first page) and async-iterable
 * (every item of every page, one request per page, with the same parameters).
 */
/** One page of a cursor-paged operation: its items and the cursor of the next one. */
export class CursorPage {
    data;
    /**
     * The next page's cursor; null on the last page. A page that is short, or empty, may still have
     * one (a search that reached the server's scan cap): whether more follow is this, never `data.length`.
     */
    nextCursor;
    #fetchPage;
    constructor(body, fetchPage) {
        this.data = body.data;
        this.nextCursor = body.nextCursor;
        this.#fetchPage = fetchPage;
    }
    hasNextPage() {
        return this.nextCursor !== null;
    }
    /** The next page (same parameters); throws on the last page. */
    getNextPage() {
        if (this.nextCursor === null)
            return Promise.reject(new Error("this is the last page"));
        return this.#fetchPage(this.nextCursor);
    }
    /** Every item of this page and the pages after it. */
    async *[Symbol.asyncIterator]() {
        let page = this;
        for (;;) {
            yield* page.data;
            if (!page.hasNextPage())
                return;
            page = await page.getNextPage();
        }
    }
}
/** One page of a list with a total (`events.list`, `events.listDeleted`). */
export class Page extends CursorPage {
    /** How many items match, all pages together, as counted on the traversal's first page. */
    total;
    /**
     * false when `total` is a lower bound: more match than the server counts (`total` is that cap), or
     * a search stopped at its scan cap (`total` is the matches found so far).
     */
    totalExact;
    constructor(body, fetchPage) {
        super(body, fetchPage);
        this.total = body.total;
        this.totalExact = body.totalExact;
    }
    /** The next page (same filters); throws on the last page. */
    getNextPage() {
        return super.getNextPage();
    }
}
/**
 * One page of the change feed (`events.changes`): its `nextCursor` is never null (poll with it
 * later); iterating stops at the first page with no change, where the feed is drained for now.
 */
export class FeedPage extends CursorPage {
    constructor(body, fetchPage) {
        super(body, fetchPage);
    }
    /** Whether a further page may hold changes now: false once a page comes back empty. */
    hasNextPage() {
        return this.data.length > 0;
    }
    /** The page after this one (same filters). */
    getNextPage() {
        return super.getNextPage();
    }
}
/** `await` it for the first page; `for await` over it for every item across pages. */
export class PagePromise {
    #first;
    #load;
    constructor(load) {
        this.#load = load;
    }
    /** The first page, requested once, on first use. */
    #firstPage() {
        this.#first ??= this.#load();
        return this.#first;
    }
    then(onFulfilled, onRejected) {
        return this.#firstPage().then(onFulfilled, onRejected);
    }
    catch(onRejected) {
        return this.#firstPage().catch(onRejected);
    }
    finally(onFinally) {
        return this.#firstPage().finally(onFinally);
    }
    async *[Symbol.asyncIterator]() {
        yield* await this.#firstPage();
    }
    get [Symbol.toStringTag]() {
        return "PagePromise";
    }
}

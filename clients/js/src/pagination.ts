/**
 * Cursor paging: a {@link Page} is one answer of a list operation (a {@link CursorPage} when the
 * operation counts no total, as `events.history`); a {@link PagePromise} is what `events.list()`,
 * `events.listDeleted()` and `events.history()` return, awaitable (the first page) and async-iterable
 * (every item of every page, one request per page, with the same parameters).
 */

/** One page of a cursor-paged operation: its items and the cursor of the next one. */
export class CursorPage<Item> implements AsyncIterable<Item> {
  readonly data: Item[];
  /**
   * The next page's cursor; null on the last page. A page that is short, or empty, may still have
   * one (a search that reached the server's scan cap): whether more follow is this, never `data.length`.
   */
  readonly nextCursor: string | null;
  readonly #fetchPage: (cursor: string) => Promise<CursorPage<Item>>;

  constructor(body: { data: Item[]; nextCursor: string | null }, fetchPage: (cursor: string) => Promise<CursorPage<Item>>) {
    this.data = body.data;
    this.nextCursor = body.nextCursor;
    this.#fetchPage = fetchPage;
  }

  hasNextPage(): boolean {
    return this.nextCursor !== null;
  }

  /** The next page (same parameters); throws on the last page. */
  getNextPage(): Promise<CursorPage<Item>> {
    if (this.nextCursor === null) return Promise.reject(new Error("this is the last page"));
    return this.#fetchPage(this.nextCursor);
  }

  /** Every item of this page and the pages after it. */
  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    let page: CursorPage<Item> = this;
    for (;;) {
      yield* page.data;
      if (!page.hasNextPage()) return;
      page = await page.getNextPage();
    }
  }
}

/** One page of a list with a total (`events.list`, `events.listDeleted`). */
export class Page<Item> extends CursorPage<Item> {
  /** How many items match, all pages together, as counted on the traversal's first page. */
  readonly total: number;
  /**
   * false when `total` is a lower bound: more match than the server counts (`total` is that cap), or
   * a search stopped at its scan cap (`total` is the matches found so far).
   */
  readonly totalExact: boolean;

  constructor(
    body: { data: Item[]; nextCursor: string | null; total: number; totalExact: boolean },
    fetchPage: (cursor: string) => Promise<Page<Item>>,
  ) {
    super(body, fetchPage);
    this.total = body.total;
    this.totalExact = body.totalExact;
  }

  /** The next page (same filters); throws on the last page. */
  override getNextPage(): Promise<Page<Item>> {
    return super.getNextPage() as Promise<Page<Item>>;
  }
}

/**
 * One page of the change feed (`events.changes`): its `nextCursor` is never null (poll with it
 * later); iterating stops at the first page with no change, where the feed is drained for now.
 */
export class FeedPage<Item> extends CursorPage<Item> {
  /** Where to resume: never null. */
  declare readonly nextCursor: string;

  constructor(body: { data: Item[]; nextCursor: string }, fetchPage: (cursor: string) => Promise<FeedPage<Item>>) {
    super(body, fetchPage);
  }

  /** Whether a further page may hold changes now: false once a page comes back empty. */
  override hasNextPage(): boolean {
    return this.data.length > 0;
  }

  /** The page after this one (same filters). */
  override getNextPage(): Promise<FeedPage<Item>> {
    return super.getNextPage() as Promise<FeedPage<Item>>;
  }
}

/** `await` it for the first page; `for await` over it for every item across pages. */
export class PagePromise<Item, P extends CursorPage<Item> = Page<Item>> implements PromiseLike<P>, AsyncIterable<Item> {
  #first: Promise<P> | undefined;
  readonly #load: () => Promise<P>;

  constructor(load: () => Promise<P>) {
    this.#load = load;
  }

  /** The first page, requested once, on first use. */
  #firstPage(): Promise<P> {
    this.#first ??= this.#load();
    return this.#first;
  }

  then<A = P, B = never>(
    onFulfilled?: ((page: P) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#firstPage().then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<P | B> {
    return this.#firstPage().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<P> {
    return this.#firstPage().finally(onFinally);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    yield* await this.#firstPage();
  }

  get [Symbol.toStringTag](): string {
    return "PagePromise";
  }
}

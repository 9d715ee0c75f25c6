/**
 * Cursor paging: a {@link Page} is one answer of a list operation; a {@link PagePromise} is what
 * `events.list()` returns, awaitable (the first page) and async-iterable (every item of every page,
 * one request per page, with the same filters).
 */

/** One page: its items, the cursor of the next one and the total over all pages. */
export class Page<Item> implements AsyncIterable<Item> {
  readonly data: Item[];
  /** The next page's cursor; null on the last page. */
  readonly nextCursor: string | null;
  /** How many items match, all pages together. */
  readonly total: number;
  readonly #fetchPage: (cursor: string) => Promise<Page<Item>>;

  constructor(
    body: { data: Item[]; nextCursor: string | null; total: number },
    fetchPage: (cursor: string) => Promise<Page<Item>>,
  ) {
    this.data = body.data;
    this.nextCursor = body.nextCursor;
    this.total = body.total;
    this.#fetchPage = fetchPage;
  }

  hasNextPage(): boolean {
    return this.nextCursor !== null;
  }

  /** The next page (same filters); throws on the last page. */
  getNextPage(): Promise<Page<Item>> {
    if (this.nextCursor === null) return Promise.reject(new Error("this is the last page"));
    return this.#fetchPage(this.nextCursor);
  }

  /** Every item of this page and the pages after it. */
  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    let page: Page<Item> = this;
    for (;;) {
      yield* page.data;
      if (!page.hasNextPage()) return;
      page = await page.getNextPage();
    }
  }
}

/** `await` it for the first page; `for await` over it for every item across pages. */
export class PagePromise<Item> implements PromiseLike<Page<Item>>, AsyncIterable<Item> {
  #first: Promise<Page<Item>> | undefined;
  readonly #load: () => Promise<Page<Item>>;

  constructor(load: () => Promise<Page<Item>>) {
    this.#load = load;
  }

  /** The first page, requested once, on first use. */
  #firstPage(): Promise<Page<Item>> {
    this.#first ??= this.#load();
    return this.#first;
  }

  then<A = Page<Item>, B = never>(
    onFulfilled?: ((page: Page<Item>) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#firstPage().then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<Page<Item> | B> {
    return this.#firstPage().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<Page<Item>> {
    return this.#firstPage().finally(onFinally);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    yield* await this.#firstPage();
  }

  get [Symbol.toStringTag](): string {
    return "PagePromise";
  }
}

/** What the client needs from the platform: Node or a browser, their env, uuids, timers. */
/** True on Node (and runtimes that emulate its `process`). */
export declare function isNode(): boolean;
/** True in a web page or a web worker. */
export declare function isBrowser(): boolean;
/** An environment variable on Node; undefined elsewhere. */
export declare function readEnv(name: string): string | undefined;
/** The page's origin in a browser (the API is usually served by the same gateway). */
export declare function pageOrigin(): string | undefined;
/** A Node user agent suffix: `node/20.1.0; linux; x64`. */
export declare function nodeDescription(): string | undefined;
/** A random (v4) uuid: crypto.randomUUID, else crypto.getRandomValues (pages over plain http). */
export declare function uuid4(): string;
/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export declare function sleep(ms: number, signal?: AbortSignal): Promise<void>;

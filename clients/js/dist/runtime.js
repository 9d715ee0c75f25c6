/** What the client needs from the platform: Node or a browser, their env, uuids, timers. */
function nodeProcess() {
    const candidate = globalThis.process;
    return candidate?.versions?.node ? candidate : undefined;
}
/** True on Node (and runtimes that emulate its `process`). */
export function isNode() {
    return nodeProcess() !== undefined;
}
/** True in a web page or a web worker. */
export function isBrowser() {
    const scope = globalThis;
    const page = typeof scope.window === "object" && scope.window !== null && typeof scope.window.document !== "undefined";
    return (page || typeof scope.importScripts === "function") && !isNode();
}
/** An environment variable on Node; undefined elsewhere. */
export function readEnv(name) {
    const value = nodeProcess()?.env?.[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
}
/** The page's origin in a browser (the API is usually served by the same gateway). */
export function pageOrigin() {
    const location = globalThis.location;
    return isBrowser() && location?.origin && location.origin !== "null" ? location.origin : undefined;
}
/** A Node user agent suffix: `node/20.1.0; linux; x64`. */
export function nodeDescription() {
    const process = nodeProcess();
    return process ? `node/${process.versions?.node}; ${process.platform}; ${process.arch}` : undefined;
}
/** A random (v4) uuid: crypto.randomUUID, else crypto.getRandomValues (pages over plain http). */
export function uuid4() {
    const crypto = globalThis.crypto;
    if (typeof crypto?.randomUUID === "function")
        return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    if (typeof crypto?.getRandomValues === "function")
        crypto.getRandomValues(bytes);
    else
        for (let i = 0; i < 16; i++)
            bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal?.aborted)
            return reject(signal.reason);
        const onAbort = () => {
            clearTimeout(timer);
            reject(signal?.reason);
        };
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        signal?.addEventListener("abort", onAbort, { once: true });
    });
}

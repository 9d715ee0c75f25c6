/**
 * A stub upstream in front of the real gateway: it answers some requests itself (429, 503, ...),
 * breaks others, and forwards the rest, recording what it saw. Used for retries and broken transfers.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Action =
  | { answer: number; headers?: Record<string, string>; body?: unknown }
  /** Forward, then throw the gateway's answer away and answer this instead (a lost answer). */
  | { forwardThenAnswer: number; headers?: Record<string, string>; body?: unknown }
  /** Forward and pass on the answer, cutting the connection after `cutAfterBytes` bytes of its body. */
  | { forward: true; cutAfterBytes?: number; closeDelimited?: boolean }
  | { destroy: true }
  | { hang: true };

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived (Date.now()). */
  at: number;
  /** The gateway's status and Idempotent-Replayed header, when forwarded. */
  upstream?: { status: number; replayed: string | undefined };
}

export interface Stub {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

const FORWARD: Action = { forward: true };

/** A stub whose request number `n` (0-based) gets `plan(n, seen)`; forwarded to `target` by default. */
export async function startStub(target: string, plan: (n: number, seen: Seen) => Action | undefined): Promise<Stub> {
  const seen: Seen[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const record: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() };
      seen.push(record);
      const action = plan(seen.length - 1, record) ?? FORWARD;
      if ("destroy" in action) return void req.socket.destroy();
      if ("hang" in action) return;
      if ("answer" in action) return void answer(res, action.answer, action.headers, action.body);
      const forwarded = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          const replayed = up.headers["idempotent-replayed"];
          record.upstream = { status: up.statusCode ?? 0, replayed: Array.isArray(replayed) ? replayed[0] : replayed };
          if ("forwardThenAnswer" in action) {
            up.resume();
            up.on("end", () => answer(res, action.forwardThenAnswer, action.headers, action.body));
            return;
          }
          const headers = { ...up.headers };
          delete headers["content-length"];
          delete headers["transfer-encoding"];
          delete headers["connection"];
          if (action.closeDelimited) {
            res.removeHeader("Transfer-Encoding"); // no chunks: the body ends when the connection closes
            headers["connection"] = "close";
          }
          res.writeHead(up.statusCode ?? 502, headers);
          let sent = 0;
          up.on("data", (chunk: Buffer) => {
            if (action.cutAfterBytes !== undefined && sent + chunk.length > action.cutAfterBytes) {
              const cut = (): void => void (action.closeDelimited ? res.end() : res.socket?.destroy());
              res.write(chunk.subarray(0, action.cutAfterBytes - sent), cut);
              up.destroy();
              sent = Infinity;
              return;
            }
            sent += chunk.length;
            res.write(chunk);
          });
          up.on("end", () => {
            if (sent !== Infinity) res.end();
          });
        },
      );
      forwarded.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(res: import("node:http").ServerResponse, status: number, headers: Record<string, string> = {}, body?: unknown): void {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": typeof body === "string" ? "text/plain" : "application/json", "X-Request-Id": requestIdOf(body) ?? `stub-${status}`, ...headers });
  res.end(text);
}

/** The contract's error envelope. */
export function envelope(error: string, message = error): Record<string, unknown> {
  return { error, message, request_id: `stub-${error}` };
}

function requestIdOf(body: unknown): string | undefined {
  const id = body && typeof body === "object" ? (body as Record<string, unknown>)["request_id"] : undefined;
  return typeof id === "string" ? id : undefined;
}

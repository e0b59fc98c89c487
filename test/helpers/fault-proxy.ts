/**
 * A loopback HTTP proxy in front of Azurite that breaks a share of the requests the way a real
 * network and a busy storage service do, so tests can show the enclave gets through on the Azure
 * SDK's retry policies alone. Which request gets which fault is drawn from a seeded PRNG: the same
 * seed gives the same sequence of choices (request order under concurrency may still vary), and a
 * failing test prints the seed (`describe()`).
 *
 * Kinds (least injected first, see `choose`), each counted when injected:
 * - `status-500` / `status-503`: an Azure-style XML error answer, the request never reaches Azurite;
 * - `reset-before`: the client connection is destroyed before any answer (ECONNRESET);
 * - `slow-body`: Azurite's answer is delivered late and in small, delayed pieces (well inside the
 *   SDK's timeouts, which are the server default of 30 s per try and none client-side);
 * - `truncated-body`: headers with the full Content-Length, half the body, then a reset;
 * - `lost-answer`: the request is forwarded and completes at Azurite (a PUT is written), then the
 *   client connection is reset: the client cannot tell it happened and retries.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createPrng, type Prng } from "../../enclave-app/src/demo/prng.ts";

export const FAULT_KINDS = ["status-500", "status-503", "reset-before", "slow-body", "truncated-body", "lost-answer"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultProxyOptions {
  /** The upstream blob endpoint, e.g. Azurite's `http://127.0.0.1:<port>/devstoreaccount1`. */
  target: string;
  /** Share of eligible requests that get a fault, 0..1. */
  rate: number;
  seed: number;
  /** Which kinds may be drawn; default all. */
  kinds?: readonly FaultKind[];
  /**
   * Whether a kind may hit a request (method upper-case). Default: truncation only where a body
   * comes back (GET); everything else anywhere. A test can scope a kind, e.g. lost answers to reads.
   */
  eligible?: (kind: FaultKind, method: string) => boolean;
  /** Slow bodies: pause before the headers and between pieces, ms. Default 150. */
  slowDelayMs?: number;
}

export interface InjectedFault {
  kind: FaultKind;
  method: string;
  /** Path only: the query (SAS, timeouts) is left out. */
  path: string;
}

export interface FaultProxy {
  /** Blob endpoint to hand the client instead of the target's (same account path). */
  endpoint: string;
  connectionString(accountName: string, accountKey: string): string;
  /** Injected faults per kind. */
  counts(): Record<FaultKind, number>;
  injected(): readonly InjectedFault[];
  /** Requests seen, per method. */
  requests(): Record<string, number>;
  /** Stop or resume injecting (requests are still forwarded). */
  setEnabled(on: boolean): void;
  /** One line for an assertion message: the seed to reproduce, rate, counts. */
  describe(): string;
  close(): Promise<void>;
}

const defaultEligible = (kind: FaultKind, method: string): boolean => kind !== "truncated-body" || method === "GET";

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  if (!(opts.rate >= 0 && opts.rate <= 1)) throw new RangeError(`fault proxy: rate must be within 0..1, got ${opts.rate}`);
  const target = new URL(opts.target);
  const kinds = opts.kinds ?? FAULT_KINDS;
  const eligible = opts.eligible ?? defaultEligible;
  const slowDelayMs = opts.slowDelayMs ?? 150;
  const prng: Prng = createPrng(opts.seed, "fault-proxy");
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const injected: InjectedFault[] = [];
  const requests: Record<string, number> = {};
  const sockets = new Set<Socket>();
  let enabled = true;

  // Whether a request is hit is a seeded draw at `rate`; the kind is the eligible one injected least so
  // far (ties in a seeded order), so a run with enough faults has seen every kind, including those
  // that fit few requests (truncation: GETs only), and a test cannot pass on luck.
  const order = [...kinds].sort(() => prng.next() - 0.5);
  const choose = (method: string): FaultKind | undefined => {
    if (!(prng.next() < opts.rate) || !enabled) return undefined;
    let best: FaultKind | undefined;
    for (const kind of order) if (eligible(kind, method) && (best === undefined || counts[kind] < counts[best])) best = kind;
    return best;
  };

  const server: Server = createServer((req, res) => {
    const method = (req.method ?? "GET").toUpperCase();
    requests[method] = (requests[method] ?? 0) + 1;
    const kind = choose(method);
    if (kind !== undefined) {
      counts[kind]++;
      injected.push({ kind, method, path: (req.url ?? "").split("?")[0]! });
    }
    handle(kind, req, res).catch(() => req.socket.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(kind: FaultKind | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (kind === "status-500" || kind === "status-503") {
      await drain(req);
      answerError(res, kind === "status-500" ? 500 : 503);
      return;
    }
    if (kind === "reset-before") {
      req.socket.destroy();
      return;
    }
    const upstream = await forward(req);
    if (kind === undefined) {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
      return;
    }
    const body = await drain(upstream);
    if (kind === "lost-answer") {
      // Azurite has done the work; the client never hears of it.
      req.socket.destroy();
      return;
    }
    if (kind === "truncated-body" && body.length >= 2) {
      res.writeHead(upstream.statusCode ?? 502, withLength(upstream.headers, body.length));
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      // Let the half reach the client before the reset, so it is a truncation and not a reset-before.
      await sleep(20);
      req.socket.destroy();
      return;
    }
    // slow-body (and a truncation of a body too short to cut: delivered slowly instead)
    await sleep(slowDelayMs);
    // A HEAD answer's Content-Length is the blob's size, not the (empty) body's.
    res.writeHead(upstream.statusCode ?? 502, req.method === "HEAD" ? upstream.headers : withLength(upstream.headers, body.length));
    const pieces = 4;
    const size = Math.ceil(body.length / pieces);
    for (let i = 0; i < body.length; i += size) {
      res.write(body.subarray(i, i + size));
      await sleep(slowDelayMs / pieces);
    }
    res.end();
  }

  function forward(req: IncomingMessage): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: IncomingHttpHeaders = { ...req.headers, host: target.host };
      const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, resolve);
      out.on("error", reject);
      req.pipe(out);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}${target.pathname.replace(/\/$/, "")}`;

  return {
    endpoint,
    connectionString: (accountName, accountKey) =>
      `DefaultEndpointsProtocol=http;AccountName=${accountName};AccountKey=${accountKey};BlobEndpoint=${endpoint};`,
    counts: () => ({ ...counts }),
    injected: () => [...injected],
    requests: () => ({ ...requests }),
    setEnabled: (on) => {
      enabled = on;
    },
    describe: () =>
      `fault proxy seed=${opts.seed} rate=${opts.rate}: ${Object.values(requests).reduce((a, b) => a + b, 0)} requests, injected ${FAULT_KINDS.map((k) => `${k}=${counts[k]}`).join(" ")}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The buffered body is re-sent with its exact length, never chunked. */
function withLength(headers: IncomingHttpHeaders, length: number): IncomingHttpHeaders {
  const { "transfer-encoding": _chunked, ...rest } = headers;
  return { ...rest, "content-length": String(length) };
}

function answerError(res: ServerResponse, status: 500 | 503): void {
  const code = status === 503 ? "ServerBusy" : "InternalError";
  const message = status === 503 ? "The server is currently unable to receive requests. Please retry your request." : "The server encountered an internal error. Please retry the request.";
  const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:fault-proxy\nTime:${new Date().toISOString()}</Message></Error>`;
  res.writeHead(status, { "content-type": "application/xml", "x-ms-error-code": code, "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(parts);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

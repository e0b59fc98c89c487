// Loopback HTTPS plumbing shared by the local attestation authority and the Key Vault stand-in:
// listen on 127.0.0.1 with an OS-chosen port, turn thrown HttpErrors into JSON error bodies, and
// close every socket on shutdown so no handle outlives the server.
import { parseJsonStrict } from "../protocol/json-text.ts";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { randomUUID } from "node:crypto";
import { HttpError, LocalCleanRoomError } from "./errors.ts";
import type { IssuedCert } from "./ca.ts";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface LoopbackHttpsServer {
  url: string /* https://127.0.0.1:<port> */;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startLoopbackHttpsServer(cert: IssuedCert, handler: RequestHandler): Promise<LoopbackHttpsServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer(
    // Only the leaf is served: clients are handed the CA certificate explicitly.
    { key: cert.keyPem, cert: cert.certPem, minVersion: "TLSv1.2" },
    (req, res) => {
      handler(req, res).catch((error: unknown) => sendError(res, error));
    },
  );
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) =>
      reject(new LocalCleanRoomError("SERVER_START_FAILED", `loopback HTTPS server failed to listen: ${error.message}`));
    server.once("error", onError);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new LocalCleanRoomError("SERVER_START_FAILED", "loopback HTTPS server has no TCP address");
  }
  let closing: Promise<void> | undefined;
  return {
    url: `https://127.0.0.1:${address.port}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    "x-ms-request-id": randomUUID(),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(payload);
}

function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    sendJson(res, error.status, error.toBody(), error.headers);
    return;
  }
  // Unexpected failures: say that it happened, not what the data was.
  const name = error instanceof Error ? error.name : "Error";
  sendJson(res, 500, { error: { code: "InternalError", message: `local server failed unexpectedly (${name})` } });
}

/** Reads a JSON request body (at most 1 MiB). Empty body -> undefined. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, "RequestTooLarge", `request body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return parseJsonStrict(Buffer.concat(chunks).toString("utf8"), { what: "request body", maxBytes: MAX_BODY_BYTES });
  } catch (error) {
    throw new HttpError(400, "BadParameter", (error as Error).message);
  }
}

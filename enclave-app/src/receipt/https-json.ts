// JSON over HTTPS with an explicit trust anchor. Global fetch cannot be given a CA per request, and
// the local clean room's servers use a CA that only their callers trust.
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import { JSON_MAX_BYTES, parseJsonStrict } from "../protocol/json-text.ts";

export interface HttpJsonResponse {
  status: number;
  body: unknown;
  /** Raw text when the body was not JSON. */
  text: string;
  /** Why a non-empty body was refused (a key given twice, too deep, too large, not JSON); body is then undefined. */
  bodyProblem?: string;
}

/** A response body read strictly: a service's answer with a key given twice has no single meaning. */
export function parseResponseBody(text: string, what: string): { body: unknown; bodyProblem?: string } {
  if (text.length === 0) return { body: undefined };
  try {
    return { body: parseJsonStrict(text, { what, maxBytes: JSON_MAX_BYTES.serviceResponse }) };
  } catch (error) {
    return { body: undefined, bodyProblem: (error as Error).message };
  }
}

/** Sends `body` as JSON and reads the JSON answer (what an attester's retry loop calls). */
export type JsonRequester = (url: string, body: unknown, timeoutMs: number) => Promise<HttpJsonResponse>;

export interface HttpsJsonOptions {
  /** PEM CA certificate(s) to trust instead of the system roots. */
  caCertPem?: string | string[];
}

function send(method: "GET" | "POST", url: string, body: unknown, timeoutMs: number, opts: HttpsJsonOptions): Promise<HttpJsonResponse> {
  const target = new URL(url);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8");
  const requestFn = target.protocol === "http:" ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = requestFn(
      target,
      {
        method,
        headers: {
          accept: "application/json",
          ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
        },
        ...(target.protocol === "https:" && opts.caCertPem !== undefined ? { ca: opts.caCertPem } : {}),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, ...parseResponseBody(text, `response of ${method} ${target.origin}${target.pathname}`), text });
        });
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { name: "TimeoutError" })));
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export function httpsJsonRequester(opts: HttpsJsonOptions = {}): JsonRequester {
  return (url, body, timeoutMs) => send("POST", url, body, timeoutMs, opts);
}

export function getJson(url: string, opts: HttpsJsonOptions & { timeoutMs?: number } = {}): Promise<HttpJsonResponse> {
  return send("GET", url, undefined, opts.timeoutMs ?? 15_000, opts);
}

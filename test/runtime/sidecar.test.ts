// The SKR sidecar adapter against a fake loopback sidecar: request shape, bounded retries on
// transient failures, no retry on client errors, typed errors, and the runtime-data binding check.
import type { JsonWebKey } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { generateRuntimeKeys, type EphemeralKeyMaterial } from "../../enclave-app/src/runtime/attest/attester.ts";
import { backoffDelay } from "../../enclave-app/src/runtime/attest/http-retry.ts";
import { SidecarAttester } from "../../enclave-app/src/runtime/attest/sidecar.ts";
import { AttestationError } from "../../enclave-app/src/runtime/errors.ts";

const material: EphemeralKeyMaterial = generateRuntimeKeys({ rsaBits: 2048 });
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

type Handler = (body: { maa_endpoint?: string; runtime_data?: string }, attempt: number) => { status: number; body: unknown; rawText?: string };

async function fakeSidecar(handler: Handler): Promise<{ url: string; requests: { path: string; body: { maa_endpoint?: string; runtime_data?: string } }[] }> {
  const requests: { path: string; body: { maa_endpoint?: string; runtime_data?: string } }[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as { maa_endpoint?: string; runtime_data?: string };
      requests.push({ path: req.url ?? "", body });
      const out = handler(body, requests.length);
      res.writeHead(out.status, { "content-type": "application/json" }).end(out.rawText ?? JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, requests };
}

/** What MAA does with JSON runtime data: reflect it under x-ms-runtime. */
function tokenFor(runtimeDataB64: string | undefined, override?: object): string {
  const runtime = override ?? JSON.parse(Buffer.from(runtimeDataB64 ?? "", "base64").toString("utf8"));
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ iss: "https://sharedeus2.eus2.attest.azure.net", "x-ms-runtime": runtime })}.c2ln`;
}

function attester(url: string, maxRetries = 3): SidecarAttester {
  return new SidecarAttester({
    maaEndpoint: "https://sharedeus2.eus2.attest.azure.net",
    sidecarUrl: url,
    keyMaterial: material,
    retry: { maxRetries, retryDelayMs: 1, maxRetryDelayMs: 5 },
  });
}

describe("SidecarAttester", () => {
  it("posts {maa_endpoint, runtime_data} with both ephemeral keys, encryption key first", async () => {
    const fake = await fakeSidecar((body) => ({ status: 200, body: { token: tokenFor(body.runtime_data) } }));
    const { claims } = await attester(fake.url).attest({});
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.path).toBe("/attest/maa");
    // The sidecar builds https://<maa_endpoint>/attest/SevSnpVM itself: it wants the host name.
    expect(fake.requests[0]!.body.maa_endpoint).toBe("sharedeus2.eus2.attest.azure.net");
    const runtimeData = JSON.parse(Buffer.from(fake.requests[0]!.body.runtime_data!, "base64").toString("utf8")) as { keys: JsonWebKey[] };
    expect(runtimeData.keys[0]).toMatchObject({ kty: "RSA", key_ops: ["encrypt"], kid: material.keys.encryption.kid });
    expect(runtimeData.keys[1]).toMatchObject({ kty: "EC", crv: "P-256", kid: material.keys.signing.kid });
    expect(runtimeData.keys.every((k) => !("d" in k))).toBe(true);
    expect((claims["x-ms-runtime"] as { keys: unknown[] }).keys).toHaveLength(2);
  });

  it("retries 5xx answers with backoff and succeeds", async () => {
    const fake = await fakeSidecar((body, attempt) => (attempt < 3 ? { status: 503, body: { error: "busy" } } : { status: 200, body: { token: tokenFor(body.runtime_data) } }));
    await attester(fake.url).attest({});
    expect(fake.requests).toHaveLength(3);
  });

  it("gives up after the bounded number of retries", async () => {
    const fake = await fakeSidecar(() => ({ status: 500, body: { error: "boom" } }));
    const err = await attester(fake.url, 2).attest({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttestationError);
    expect((err as AttestationError).code).toBe("ATTESTATION_FAILED");
    expect((err as Error).message).toMatch(/after 3 attempt/);
    expect(fake.requests).toHaveLength(3);
  });

  it("does not retry a client error and names what the sidecar said", async () => {
    const fake = await fakeSidecar(() => ({ status: 403, body: { error: "fetching snp report failed: /dev/sev-guest not found" } }));
    await expect(attester(fake.url).attest({})).rejects.toThrow(/HTTP 403: fetching snp report failed/);
    expect(fake.requests).toHaveLength(1);
  });

  it("retries connection failures (sidecar not up yet) and then fails with a typed error", async () => {
    const fake = await fakeSidecar(() => ({ status: 200, body: {} }));
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(attester(fake.url, 1).attest({})).rejects.toThrow(/ECONNREFUSED.*gave up after 2 attempts/);
  });

  it("refuses an attestation response that gives \"token\" twice, naming the key, not the tokens", async () => {
    const fake = await fakeSidecar((body) => {
      const good = tokenFor(body.runtime_data);
      return { status: 200, body: undefined, rawText: `{"token": "${good}", "token": "${good}"}` };
    });
    const failure = attester(fake.url).attest({});
    await expect(failure).rejects.toBeInstanceOf(AttestationError);
    await expect(failure).rejects.toThrow(/gives the key "token" twice at the top level/);
    await expect(failure).rejects.not.toThrow(/eyJ/);
  });

  it("refuses a token whose runtime data does not carry the enclave's keys", async () => {
    const other = generateRuntimeKeys({ rsaBits: 2048 });
    const fake = await fakeSidecar(() => ({ status: 200, body: { token: tokenFor(undefined, { keys: [other.keys.encryption.publicJwk] }) } }));
    await expect(attester(fake.url).attest({})).rejects.toThrow(/runtime data not bound/);
    const noToken = await fakeSidecar(() => ({ status: 200, body: { token: "not a jwt" } }));
    await expect(attester(noToken.url).attest({})).rejects.toThrow(/without a JWT/);
  });

  it("backs off exponentially within the cap", () => {
    const opts = { retryDelayMs: 100, maxRetryDelayMs: 1000 };
    expect(backoffDelay(0, opts, () => 0.5)).toBe(100);
    expect(backoffDelay(2, opts, () => 0.5)).toBe(400);
    expect(backoffDelay(10, opts, () => 0.99)).toBe(1000);
  });
});

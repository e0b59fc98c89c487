// Confidential-node attester: Microsoft's CVM guest attestation tools, behind one adapter.
//
// Key release + unwrap: `AzureAttestSKR` (Azure/confidential-computing-cvm-guest-attestation,
// cvm-securekey-release-app). One call attests the CVM through the vTPM, authenticates to Key Vault
// through IMDS (`-c imds`, `IMDS_CLIENT_ID` picks the kubelet identity), releases the party's KEK
// wrapped to the vTPM key, and unwraps our content keys with it; the KEK never reaches this process.
//   AzureAttestSKR -a <attestation url> -k <key url with version> -c imds [-n <nonce>] -B - [-H sha256]
//   stdin  {"keys":[{"id":"<dataset>","wrapped":"<base64>"}]}
//   stdout {"results":[{"id","unwrapped":"<bytes as a JSON string>"} | {"id","error":"..."}]}
// Encoding of "unwrapped" (UnwrapKeyBatch in AttestationUtil.cpp): the decrypted bytes, with trailing
// NUL bytes trimmed (boost trim_right_copy_if), placed in a JSON string by nlohmann::json. nlohmann's
// dump() rejects bytes that are not UTF-8, so for random content keys the whole batch usually fails
// with `type_error.316`; this adapter then falls back to one `-u -s <base64>` call per key, which
// writes the raw bytes (trailing NULs trimmed) plus a newline to stdout. Both decoders restore trimmed
// NULs from the known unwrapped length (40 bytes for CSE v2). A base64 "unwrapped" (as a future tool
// version might print) is also accepted when it decodes to exactly that length.
// Exit codes (newer versions): 1 usage, 2 attestation, 3 IMDS/AAD auth, 4 Key Vault release HTTP
// error (policy, 403, not found), 5 crypto, 6 network; older versions exit 1/255 for everything.
// OAEP: the tool's default is SHA-256; this adapter requires RSA-OAEP-256 content-key wrapping.
//
// Receipt token: the runtime data of a vTPM token belongs to the vTPM, so the receipt signing key is
// bound through the client payload nonce. AzureAttestSKR does not print its token, so the token comes
// from Microsoft's sample `AttestationClient` (cvm-attestation-sample-app):
//   AttestationClient -a <attestation url> -n <nonce> -o token
// which sends {"nonce":"<nonce>"} as the client payload (reflected as
// `x-ms-runtime.client-payload.nonce`) and prints the JWT on stdout; on failure it prints an error
// description and may still exit 0, so the adapter accepts only a JWT-shaped word.
import type { Claims, IsolationMode } from "../../protocol/index.ts";
import { AttestationError, KeyReleaseError, scrubSecrets } from "../errors.ts";
import { generateSigningKey, receiptKeyNonce, type Attestation, type Attester, type RuntimeKeys, type UnwrapContentKeysRequest, type WrappedContentKey } from "./attester.ts";
import { JSON_MAX_BYTES, JsonDocumentError, decodeJwtClaims, parseJsonStrict, tokenBindsNonce } from "../../protocol/index.ts";
import { runTool, toolEnvironment, ToolLaunchError, type ToolResult } from "./run-tool.ts";

export interface CvmSkrAttesterOptions {
  /** Attestation endpoint URL (`-a`), the authority of the release policies. */
  attestationUrl: string;
  /** Path of AzureAttestSKR (default /usr/local/bin/AzureAttestSKR). */
  skrPath?: string;
  /** Path of AttestationClient (default /usr/local/bin/AttestationClient). */
  attestationClientPath?: string;
  /** Key Vault credential source of AzureAttestSKR (`-c`, default "imds"). */
  credentialSource?: "imds" | "sp";
  /** Managed identity the tool uses through IMDS (the AKS kubelet identity). */
  imdsClientId?: string;
  /** Per tool call (default 120 s). */
  timeoutMs?: number;
  /** Base environment for the tools (default process.env; tracing switches are always removed). */
  env?: NodeJS.ProcessEnv;
  signing?: RuntimeKeys["signing"];
}

const EXIT_MEANING: Record<number, string> = {
  1: "usage error or failure",
  2: "attestation failed",
  3: "IMDS/Entra token acquisition failed",
  4: "Key Vault refused or failed the release (policy, 403, key not found)",
  5: "cryptographic failure (decrypt, parse, unwrap)",
  6: "network failure",
};

export class CvmSkrAttester implements Attester {
  readonly kind = "cvm-skr" as const;
  readonly mode: IsolationMode = "confidential-node";
  readonly keyBinding = "client-payload-nonce" as const;
  readonly signing: RuntimeKeys["signing"];
  readonly #opts: CvmSkrAttesterOptions;

  constructor(opts: CvmSkrAttesterOptions) {
    this.#opts = opts;
    this.signing = opts.signing ?? generateSigningKey();
  }

  get #skrPath(): string {
    return this.#opts.skrPath ?? "/usr/local/bin/AzureAttestSKR";
  }

  #env(): NodeJS.ProcessEnv {
    return toolEnvironment(this.#opts.env ?? process.env, this.#opts.imdsClientId !== undefined ? { IMDS_CLIENT_ID: this.#opts.imdsClientId } : {});
  }

  /** Token for the receipt: client payload nonce = the receipt signing key binding (or the given nonce). */
  async attest(opts: { nonce?: string } = {}): Promise<Attestation> {
    const nonce = opts.nonce ?? receiptKeyNonce(this.signing.publicJwk);
    const path = this.#opts.attestationClientPath ?? "/usr/local/bin/AttestationClient";
    const result = await this.#run("AttestationClient", path, ["-a", this.#opts.attestationUrl, "-n", nonce, "-o", "token"]);
    const token = extractJwt(result.stdout.toString("utf8"));
    if (result.exitCode !== 0 || token === undefined) {
      throw new AttestationError("cvm-skr", `AttestationClient (${path}) ${describeExit(result)} without printing a token: ${scrubSecrets(result.stdout.toString("utf8") + " " + result.stderr)}`);
    }
    let claims: Claims;
    try {
      claims = decodeJwtClaims(token);
    } catch (err) {
      throw new AttestationError("cvm-skr", `AttestationClient printed an unreadable token: ${(err as Error).message}`, { cause: err });
    }
    if (!tokenBindsNonce(claims, nonce)) {
      throw new AttestationError("cvm-skr", "the token's x-ms-runtime.client-payload.nonce does not carry the requested nonce (receipt key not bound)");
    }
    return { token, claims };
  }

  async unwrapContentKeys(req: UnwrapContentKeysRequest): Promise<Map<string, Buffer>> {
    assertUnwrappable(req.keys, req.keyId);
    if (!/\/keys\/[^/]+\/[^/]+$/.test(new URL(req.keyId).pathname)) {
      throw new KeyReleaseError("KEY_RELEASE_FAILED", `AzureAttestSKR needs a key URL with a version; "${req.keyId}" has none`, { step: "release" });
    }
    const base = ["-a", this.#opts.attestationUrl, "-k", req.keyId, "-c", this.#opts.credentialSource ?? "imds", ...(req.nonce !== undefined ? ["-n", req.nonce] : [])];
    const batch = await this.#run("AzureAttestSKR", this.#skrPath, [...base, "-B", "-", "-H", "sha256"], JSON.stringify(buildBatchInput(req.keys)));
    if (batch.exitCode === 0) return parseBatchOutput(batch.stdout.toString("utf8"), req.keys.map((k) => k.id), req.expectedLength);
    if (!isUtf8DumpFailure(batch)) throw toolFailure(batch, req.keyId);
    // Binary content keys cannot travel in the batch JSON: one release + unwrap per key instead.
    const out = new Map<string, Buffer>();
    for (const key of req.keys) {
      const single = await this.#run("AzureAttestSKR", this.#skrPath, [...base, "-s", key.encryptedKey.toString("base64"), "-u", "-H", "sha256"]);
      if (single.exitCode !== 0) throw toolFailure(single, req.keyId, key.id);
      out.set(key.id, decodeSingleUnwrapOutput(single.stdout, req.expectedLength, key.id));
    }
    return out;
  }

  async #run(tool: string, path: string, args: string[], input?: string): Promise<ToolResult> {
    try {
      return await runTool(path, args, { env: this.#env(), timeoutMs: this.#opts.timeoutMs ?? 120_000, ...(input !== undefined ? { input } : {}) });
    } catch (err) {
      const code = err instanceof ToolLaunchError ? err.code : "unknown error";
      if (tool === "AttestationClient") throw new AttestationError("cvm-skr", `cannot start AttestationClient at ${path} (${code})`, { cause: err });
      throw new KeyReleaseError("KEY_RELEASE_FAILED", `cannot start AzureAttestSKR at ${path} (${code})`, { cause: err });
    }
  }
}

/** AzureAttestSKR unwraps with OAEP-SHA-256 here; a SHA-1 wrapped key is refused before any call. */
export function assertUnwrappable(keys: WrappedContentKey[], keyId: string): void {
  for (const k of keys) {
    // The tool decodes base64 with boost and trims trailing NUL bytes of the result, which corrupts a
    // wrapped key whose last byte is 0 (about 1 in 256 keys). Say so instead of failing obscurely.
    if (k.encryptedKey.length > 0 && k.encryptedKey[k.encryptedKey.length - 1] === 0) {
      throw new KeyReleaseError(
        "KEY_UNWRAP_FAILED",
        `dataset "${k.id}": its wrapped content key ends with a zero byte, which AzureAttestSKR's base64 decoder drops; re-encrypt the dataset (a new content key) and update the contract`,
        { step: "unwrap", dataset: k.id },
      );
    }
    if (k.algorithm !== "RSA-OAEP-256") {
      throw new KeyReleaseError(
        "KEY_UNWRAP_FAILED",
        `dataset "${k.id}": its content key is wrapped with ${k.algorithm} (OAEP SHA-1) under ${keyId}; confidential-node mode unwraps with AzureAttestSKR using OAEP SHA-256 only, so the dataset must be encrypted with RSA-OAEP-256`,
        { step: "unwrap", dataset: k.id },
      );
    }
  }
}

export function buildBatchInput(keys: WrappedContentKey[]): { keys: { id: string; wrapped: string }[] } {
  return { keys: keys.map((k) => ({ id: k.id, wrapped: k.encryptedKey.toString("base64") })) };
}

/** Parses the -B output; every requested id must come back exactly once, with no error entry. */
export function parseBatchOutput(stdout: string, ids: string[], expectedLength: number): Map<string, Buffer> {
  let json: unknown;
  try {
    json = jsonObjectIn(stdout);
  } catch (error) {
    throw new KeyReleaseError("KEY_UNWRAP_FAILED", `AzureAttestSKR -B: ${(error as Error).message}`, { step: "unwrap" });
  }
  const results = (json as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(results)) {
    throw new KeyReleaseError("KEY_UNWRAP_FAILED", 'AzureAttestSKR -B printed no {"results":[...]} JSON', { step: "unwrap" });
  }
  const out = new Map<string, Buffer>();
  for (const entry of results as unknown[]) {
    const e = entry as { id?: unknown; unwrapped?: unknown; error?: unknown } | null;
    const id = typeof e?.id === "string" ? e.id : undefined;
    if (id === undefined || !ids.includes(id)) {
      throw new KeyReleaseError("KEY_UNWRAP_FAILED", `AzureAttestSKR -B returned a result for an id that was not requested`, { step: "unwrap" });
    }
    if (out.has(id)) throw new KeyReleaseError("KEY_UNWRAP_FAILED", `AzureAttestSKR -B returned "${id}" twice`, { step: "unwrap", dataset: id });
    if (typeof e?.error === "string") {
      throw new KeyReleaseError("KEY_UNWRAP_FAILED", `AzureAttestSKR could not unwrap the content key of dataset "${id}": ${scrubSecrets(e.error)}`, { step: "unwrap", dataset: id });
    }
    if (typeof e?.unwrapped !== "string") {
      throw new KeyReleaseError("KEY_UNWRAP_FAILED", `AzureAttestSKR -B result for "${id}" has neither "unwrapped" nor "error"`, { step: "unwrap", dataset: id });
    }
    out.set(id, decodeUnwrappedValue(e.unwrapped, expectedLength, id));
  }
  const missing = ids.filter((id) => !out.has(id));
  if (missing.length > 0) {
    throw new KeyReleaseError("KEY_UNWRAP_FAILED", `AzureAttestSKR -B returned no result for ${missing.map((m) => `"${m}"`).join(", ")}`, { step: "unwrap", dataset: missing[0] as string });
  }
  return out;
}

/** The JSON string form of "unwrapped" back to bytes (see the encoding note at the top of the file). */
export function decodeUnwrappedValue(value: string, expectedLength: number, id: string): Buffer {
  const raw = Buffer.from(value, "utf8");
  if (raw.length <= expectedLength) return padTrimmedNuls(raw, expectedLength);
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    const decoded = Buffer.from(value, "base64");
    if (decoded.length === expectedLength) return decoded;
  }
  throw new KeyReleaseError("KEY_UNWRAP_FAILED", `AzureAttestSKR returned ${raw.length} bytes for dataset "${id}", expected ${expectedLength}`, { step: "unwrap", dataset: id });
}

/** `-u` output: the bytes (trailing NULs trimmed) followed by std::endl's newline. */
export function decodeSingleUnwrapOutput(stdout: Buffer, expectedLength: number, id: string): Buffer {
  const body = stdout.length > 0 && stdout[stdout.length - 1] === 0x0a ? stdout.subarray(0, stdout.length - 1) : stdout;
  if (body.length > expectedLength || body.length === 0) {
    throw new KeyReleaseError("KEY_UNWRAP_FAILED", `AzureAttestSKR -u printed ${body.length} bytes for dataset "${id}", expected ${expectedLength}`, { step: "unwrap", dataset: id });
  }
  return padTrimmedNuls(Buffer.from(body), expectedLength);
}

function padTrimmedNuls(bytes: Buffer, expectedLength: number): Buffer {
  if (bytes.length === expectedLength) return bytes;
  return Buffer.concat([bytes, Buffer.alloc(expectedLength - bytes.length)]);
}

/** The last JWT-shaped word in a tool's stdout (libraries may log lines before it). */
export function extractJwt(stdout: string): string | undefined {
  const matches = stdout.match(/eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+/g);
  return matches?.[matches.length - 1];
}

function jsonObjectIn(stdout: string): unknown {
  const trimmed = stdout.trim();
  try {
    return parseJsonStrict(trimmed, { what: "release tool output", maxBytes: JSON_MAX_BYTES.serviceResponse });
  } catch (error) {
    // A document with a key given twice is refused, not read past.
    if (error instanceof JsonDocumentError && error.code !== "JSON_SYNTAX") throw error;
    // Diagnostic lines may precede the JSON document: parse from the first line that opens an object.
    const start = trimmed.search(/^\{/m);
    if (start <= 0) return undefined;
    try {
      return parseJsonStrict(trimmed.slice(start), { what: "release tool output", maxBytes: JSON_MAX_BYTES.serviceResponse });
    } catch (error) {
      if (error instanceof JsonDocumentError && error.code !== "JSON_SYNTAX") throw error;
      return undefined;
    }
  }
}

function isUtf8DumpFailure(result: ToolResult): boolean {
  return result.exitCode !== 0 && /type_error\.316|invalid UTF-8/i.test(result.stderr);
}

function describeExit(result: ToolResult): string {
  if (result.timedOut) return "timed out";
  if (result.signal) return `was killed by ${result.signal}`;
  const meaning = result.exitCode !== null ? EXIT_MEANING[result.exitCode] : undefined;
  return `exited with status ${String(result.exitCode)}${meaning ? ` (${meaning})` : ""}`;
}

function toolFailure(result: ToolResult, keyId: string, dataset?: string): KeyReleaseError {
  const code = result.exitCode === 4 ? "KEY_RELEASE_DENIED" : result.exitCode === 5 ? "KEY_UNWRAP_FAILED" : "KEY_RELEASE_FAILED";
  return new KeyReleaseError(code, `AzureAttestSKR ${describeExit(result)} for ${keyId}${dataset ? ` (dataset "${dataset}")` : ""}: ${scrubSecrets(result.stderr) || "no diagnostics"}`, {
    step: code === "KEY_UNWRAP_FAILED" ? "unwrap" : "release",
    ...(dataset !== undefined ? { dataset } : {}),
  });
}

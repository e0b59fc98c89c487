// The confidential-node adapter against fake AzureAttestSKR / AttestationClient executables that
// follow the real tools' command-line contracts (see test/fixtures/runtime).
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wrapContentKey } from "../../enclave-app/src/envelope/index.ts";
import { receiptKeyNonce } from "../../enclave-app/src/runtime/attest/attester.ts";
import { clientPayloadNonceOf } from "../../enclave-app/src/protocol/index.ts";
import {
  CvmSkrAttester,
  decodeSingleUnwrapOutput,
  decodeUnwrappedValue,
  extractJwt,
} from "../../enclave-app/src/runtime/attest/cvm-skr.ts";
import { AttestationError, KeyReleaseError } from "../../enclave-app/src/runtime/errors.ts";
import { installFakeTools, type FakeTools } from "./helpers/fake-tools.ts";

const KEY_URL = "https://party-a.vault.azure.net/keys/a-kek/0123456789abcdef0123456789abcdef";
const MAA = "https://sharedeus2.eus2.attest.azure.net";

let tools: FakeTools;
let kek: KeyObject;
let kekPemPath: string;

beforeAll(async () => {
  tools = await installFakeTools();
  kek = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  kekPemPath = join(tools.dir, "kek.pem");
  await writeFile(kekPemPath, kek.export({ format: "pem", type: "pkcs8" }) as string, { mode: 0o600 });
});

afterAll(async () => {
  await tools?.cleanup();
});

function attester(env: Record<string, string> = {}, extra: { timeoutMs?: number; skrPath?: string } = {}): CvmSkrAttester {
  return new CvmSkrAttester({
    attestationUrl: MAA,
    skrPath: extra.skrPath ?? tools.skrPath,
    attestationClientPath: tools.attestationClientPath,
    imdsClientId: "kubelet-client-id",
    env: { PATH: process.env["PATH"] ?? "", FAKE_SKR_KEK_PEM: kekPemPath, FAKE_SKR_LOG: tools.logPath, SKR_TRACE_ON: "1", ...env },
    ...(extra.timeoutMs !== undefined ? { timeoutMs: extra.timeoutMs } : {}),
  });
}

/** A CSE v2 content key whose unwrapped form is valid UTF-8 and ends in NULs (the tool trims them). */
function textSafeCek(): Buffer {
  const cek = Buffer.alloc(32);
  for (let i = 0; i < 30; i++) cek[i] = 0x41 + (randomBytes(1)[0]! % 26);
  return cek; // last two bytes 0x00
}

function wrapped(id: string, cek: Buffer, algorithm: "RSA-OAEP" | "RSA-OAEP-256" = "RSA-OAEP-256") {
  let encryptedKey: Buffer;
  // The tool's base64 decoder drops a trailing zero byte; the adapter refuses such keys (tested below).
  do encryptedKey = wrapContentKey(cek, { kek, algorithm, protocol: "2.0" });
  while (encryptedKey[encryptedKey.length - 1] === 0);
  return { id, encryptedKey, algorithm };
}

const PREFIX = Buffer.from("2.0\0\0\0\0\0", "latin1");

async function calls(): Promise<{ argv: string[]; imdsClientId: string | null; traceOn: string | null }[]> {
  const text = await readFile(tools.logPath, "utf8").catch(() => "");
  await writeFile(tools.logPath, "");
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

describe("AzureAttestSKR batch unwrap", () => {
  it("unwraps every key in one call with the documented flags and restores trimmed NUL bytes", async () => {
    await calls();
    const a = textSafeCek();
    const b = textSafeCek();
    const out = await attester().unwrapContentKeys({ keyId: KEY_URL, keys: [wrapped("sales", a), wrapped("claims", b)], nonce: "n-123", expectedLength: 40 });
    expect(out.get("sales")).toEqual(Buffer.concat([PREFIX, a]));
    expect(out.get("claims")).toEqual(Buffer.concat([PREFIX, b]));
    const log = await calls();
    expect(log).toHaveLength(1);
    expect(log[0]!.argv).toEqual(["-a", MAA, "-k", KEY_URL, "-c", "imds", "-n", "n-123", "-B", "-", "-H", "sha256"]);
    expect(log[0]!.imdsClientId).toBe("kubelet-client-id");
    // Tracing makes the real tool print tokens and keys: it is always switched off.
    expect(log[0]!.traceOn).toBeNull();
  });

  it("falls back to one -u call per key when binary keys make the batch JSON fail (type_error.316)", async () => {
    await calls();
    const ceks = [randomBytes(32), randomBytes(32)];
    ceks[0]![0] = 0xff; // certainly not UTF-8
    const out = await attester().unwrapContentKeys({ keyId: KEY_URL, keys: [wrapped("x", ceks[0]!), wrapped("y", ceks[1]!)], expectedLength: 40 });
    expect(out.get("x")).toEqual(Buffer.concat([PREFIX, ceks[0]!]));
    expect(out.get("y")).toEqual(Buffer.concat([PREFIX, ceks[1]!]));
    const log = await calls();
    expect(log.map((c) => (c.argv.includes("-B") ? "batch" : c.argv.includes("-u") ? "single" : "other"))).toEqual(["batch", "single", "single"]);
  });

  it("accepts a base64 'unwrapped' value of exactly the expected length", async () => {
    const cek = randomBytes(32);
    const out = await attester({ FAKE_SKR_MODE: "base64" }).unwrapContentKeys({ keyId: KEY_URL, keys: [wrapped("x", cek)], expectedLength: 40 });
    expect(out.get("x")).toEqual(Buffer.concat([PREFIX, cek]));
  });

  it("reports a refused release (exit 4) as KEY_RELEASE_DENIED without echoing key material", async () => {
    const err = await attester({ FAKE_SKR_MODE: "deny" })
      .unwrapContentKeys({ keyId: KEY_URL, keys: [wrapped("x", textSafeCek())], expectedLength: 40 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyReleaseError);
    expect((err as KeyReleaseError).code).toBe("KEY_RELEASE_DENIED");
    expect((err as Error).message).toMatch(/exited with status 4 \(Key Vault refused/);
    expect((err as Error).message).toContain("Target environment attestation statement cannot be verified");
  });

  it("names the dataset of an error entry", async () => {
    const err = await attester({ FAKE_SKR_MODE: "error-entry" })
      .unwrapContentKeys({ keyId: KEY_URL, keys: [wrapped("sales", textSafeCek())], expectedLength: 40 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "KEY_UNWRAP_FAILED", dataset: "sales" });
    expect((err as Error).message).toMatch(/dataset "sales"/);
  });

  it("rejects garbage output and results that miss a requested key", async () => {
    await expect(attester({ FAKE_SKR_MODE: "garbage" }).unwrapContentKeys({ keyId: KEY_URL, keys: [wrapped("x", textSafeCek())], expectedLength: 40 })).rejects.toThrow(
      /printed no \{"results"/,
    );
    const err = await attester({ FAKE_SKR_MODE: "missing" })
      .unwrapContentKeys({ keyId: KEY_URL, keys: [wrapped("x", textSafeCek()), wrapped("y", textSafeCek())], expectedLength: 40 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "KEY_UNWRAP_FAILED", dataset: "y" });
  });

  it("kills a hung tool at the timeout and reports a crash by signal", async () => {
    await expect(
      attester({ FAKE_SKR_MODE: "hang" }, { timeoutMs: 400 }).unwrapContentKeys({ keyId: KEY_URL, keys: [wrapped("x", textSafeCek())], expectedLength: 40 }),
    ).rejects.toThrow(/timed out/);
    await expect(attester({ FAKE_SKR_MODE: "crash" }).unwrapContentKeys({ keyId: KEY_URL, keys: [wrapped("x", textSafeCek())], expectedLength: 40 })).rejects.toThrow(
      /killed by SIGSEGV/,
    );
  });

  it("says when the executable is missing", async () => {
    await expect(
      attester({}, { skrPath: join(tools.dir, "no-such-tool") }).unwrapContentKeys({ keyId: KEY_URL, keys: [wrapped("x", textSafeCek())], expectedLength: 40 }),
    ).rejects.toThrow(/cannot start AzureAttestSKR at .*no-such-tool \(ENOENT\)/);
  });

  it("refuses before any call: SHA-1 wrapped keys, a trailing zero byte, a key URL without version", async () => {
    await calls();
    const sha1 = wrapped("legacy", textSafeCek(), "RSA-OAEP");
    await expect(attester().unwrapContentKeys({ keyId: KEY_URL, keys: [sha1], expectedLength: 40 })).rejects.toThrow(/RSA-OAEP \(OAEP SHA-1\).*RSA-OAEP-256/);
    const zeroEnd = { ...wrapped("z", textSafeCek()) };
    zeroEnd.encryptedKey = Buffer.concat([zeroEnd.encryptedKey.subarray(1), Buffer.alloc(1)]);
    await expect(attester().unwrapContentKeys({ keyId: KEY_URL, keys: [zeroEnd], expectedLength: 40 })).rejects.toThrow(/ends with a zero byte/);
    await expect(
      attester().unwrapContentKeys({ keyId: "https://party-a.vault.azure.net/keys/a-kek", keys: [wrapped("x", textSafeCek())], expectedLength: 40 }),
    ).rejects.toThrow(/needs a key URL with a version/);
    expect(await calls()).toEqual([]);
  });
});

describe("AttestationClient token for the receipt", () => {
  it("binds the receipt signing key through the client payload nonce", async () => {
    const a = attester();
    const { token, claims } = await a.attest({});
    expect(token.split(".")).toHaveLength(3);
    expect(clientPayloadNonceOf(claims)).toBe(receiptKeyNonce(a.signing.publicJwk));
    expect(a.keyBinding).toBe("client-payload-nonce");
  });

  it("accepts the nonce echoed base64-encoded", async () => {
    await expect(attester({ FAKE_AC_MODE: "base64-nonce" }).attest({ nonce: "abc" })).resolves.toMatchObject({ token: expect.any(String) });
  });

  it("fails when the tool prints an error (exit 0) or the token lacks the nonce", async () => {
    const failed = await attester({ FAKE_AC_MODE: "fail" }).attest({}).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(AttestationError);
    expect((failed as Error).message).toMatch(/without printing a token.*HTTP 401/);
    await expect(attester({ FAKE_AC_MODE: "no-nonce" }).attest({})).rejects.toThrow(/client-payload.nonce does not carry/);
  });
});

describe("output decoders", () => {
  it("restores trailing NULs, accepts exact base64, rejects overlong values", () => {
    const value = Buffer.concat([PREFIX, Buffer.from("A".repeat(30)), Buffer.alloc(2)]);
    expect(decodeUnwrappedValue(value.subarray(0, 38).toString("utf8"), 40, "x")).toEqual(value);
    expect(decodeUnwrappedValue(value.toString("base64"), 40, "x")).toEqual(value);
    expect(() => decodeUnwrappedValue("B".repeat(41), 40, "x")).toThrow(/41 bytes/);
    expect(decodeSingleUnwrapOutput(Buffer.concat([value.subarray(0, 38), Buffer.from("\n")]), 40, "x")).toEqual(value);
    expect(() => decodeSingleUnwrapOutput(Buffer.alloc(0), 40, "x")).toThrow(/0 bytes/);
  });

  it("takes the last JWT-shaped word of noisy stdout", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln";
    expect(extractJwt(`Level: Info Tag: x\n${jwt}`)).toBe(jwt);
    expect(extractJwt("Failed to attest")).toBeUndefined();
  });
});

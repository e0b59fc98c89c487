/**
 * `cleanroom encrypt` / `cleanroom decrypt` through the real bin as a child process, plus the pure
 * pieces of the CLI (key loading, metadata forms, progress decision).
 */
import { spawn } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractEncryptionData } from "../../enclave-app/src/cli/commands/decrypt.ts";
import { parseByteSize } from "../../enclave-app/src/cli/commands/encrypt.ts";
import { loadKey } from "../../enclave-app/src/cli/keys.ts";
import { CliError, exitCodeFor } from "../../enclave-app/src/cli/output.ts";
import { createProgress, renderProgress, shouldShowProgress } from "../../enclave-app/src/cli/progress.ts";
import { EnvelopeError, serializeEncryptionData } from "../../enclave-app/src/envelope/index.ts";

const BIN = join(import.meta.dirname, "..", "..", "enclave-app", "bin", "cleanroom.ts");
const KEY_ID = "https://party-a-kv.vault.azure.net/keys/dataset-kek/0123456789abcdef";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cleanroom(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...process.env, CLEANROOM_DEBUG: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

let dir: string;
const plaintext = randomBytes(5 * 1024 * 1024 + 7);
const keys = generateKeyPairSync("rsa", { modulusLength: 3072 });
const otherKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cleanroom-cli-"));
  writeFileSync(join(dir, "data.csv"), plaintext);
  writeFileSync(join(dir, "kek.pub.pem"), keys.publicKey.export({ format: "pem", type: "spki" }));
  writeFileSync(join(dir, "kek.pem"), keys.privateKey.export({ format: "pem", type: "pkcs8" }));
  writeFileSync(join(dir, "kek.pkcs1.pem"), keys.privateKey.export({ format: "pem", type: "pkcs1" }));
  writeFileSync(join(dir, "kek.pub.jwk"), JSON.stringify({ ...keys.publicKey.export({ format: "jwk" }), kty: "RSA-HSM" }));
  writeFileSync(join(dir, "other.pem"), otherKeys.privateKey.export({ format: "pem", type: "pkcs8" }));
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Files in the work dir other than the fixtures: must never include partial or temporary output. */
function outputs(): string[] {
  const fixtures = new Set(["data.csv", "kek.pub.pem", "kek.pem", "kek.pkcs1.pem", "kek.pub.jwk", "other.pem"]);
  return readdirSync(dir).filter((name) => !fixtures.has(name)).sort();
}

function clearOutputs(): void {
  for (const name of outputs()) rmSync(join(dir, name), { force: true });
}

describe("cleanroom encrypt / decrypt (child process)", () => {
  let encrypted: { ciphertextSha256: string; plaintextLength: number; protocol: string; regionSize: number };

  it("encrypts, reporting the digest and length to pin in the contract", async () => {
    clearOutputs();
    const run = await cleanroom(["encrypt", "data.csv", "--key", "kek.pub.pem", "--key-id", KEY_ID, "--out", "data.enc", "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    encrypted = JSON.parse(run.stdout);
    const ciphertext = readFileSync(join(dir, "data.enc"));
    expect(encrypted.ciphertextSha256).toBe(sha256(ciphertext));
    expect(encrypted.plaintextLength).toBe(plaintext.length);
    expect(encrypted.protocol).toBe("2.0");
    expect(ciphertext.length).toBe(plaintext.length + 2 * 28);
    // Without --nonce-scheme, region 1 (after 4 MiB + 28 bytes) carries the Java layout of index 1.
    expect(ciphertext.subarray(4 * 1024 * 1024 + 28, 4 * 1024 * 1024 + 40).toString("hex")).toBe("000000000000000100000000");
    const metadata = JSON.parse(readFileSync(join(dir, "data.enc.encryptiondata.json"), "utf8"));
    expect(metadata.WrappedContentKey.KeyId).toBe(KEY_ID);
    expect(metadata.WrappedContentKey.Algorithm).toBe("RSA-OAEP-256");
    expect(outputs()).toEqual(["data.enc", "data.enc.encryptiondata.json"]);
  });

  it("decrypts with the private key and the pinned digest and length", async () => {
    const run = await cleanroom([
      "decrypt", "data.enc", "--key", "kek.pem", "--metadata", "data.enc.encryptiondata.json", "--out", "data.out",
      "--expect-sha256", encrypted.ciphertextSha256, "--expect-length", String(plaintext.length),
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain(`plaintext length  ${plaintext.length}`);
    expect(readFileSync(join(dir, "data.out")).equals(plaintext)).toBe(true);
    rmSync(join(dir, "data.out"));
  });

  it("fails on a tampered ciphertext with exit 1, one line on stderr and no output file", async () => {
    const ciphertext = readFileSync(join(dir, "data.enc"));
    const offset = 4 * 1024 * 1024 + 100; // inside region 1
    ciphertext[offset] = (ciphertext[offset] ?? 0) ^ 0x10;
    writeFileSync(join(dir, "tampered.enc"), ciphertext);
    const run = await cleanroom(["decrypt", "tampered.enc", "--key", "kek.pem", "--metadata", "data.enc.encryptiondata.json", "--out", "tampered.out", "--expect-length", String(plaintext.length)]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^cleanroom: AUTH_TAG_MISMATCH: region 1 at byte 4194332/);
    expect(run.stderr).not.toContain("    at ");
    expect(outputs()).not.toContain("tampered.out");
    expect(outputs().filter((name) => name.endsWith(".tmp"))).toEqual([]);
    rmSync(join(dir, "tampered.enc"));
  });

  it("prints the stack only with CLEANROOM_DEBUG=1", async () => {
    const run = await cleanroom(["decrypt", "data.enc", "--key", "other.pem", "--metadata", "data.enc.encryptiondata.json", "--out", "x.out"], { CLEANROOM_DEBUG: "1" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("    at ");
  });

  it("fails with the wrong private key (exit 1) and with a public key where the private one is needed (exit 2)", async () => {
    const wrong = await cleanroom(["decrypt", "data.enc", "--key", "other.pem", "--metadata", "data.enc.encryptiondata.json", "--out", "wrong.out"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("KEY_UNWRAP_FAILED");
    const publicKey = await cleanroom(["decrypt", "data.enc", "--key", "kek.pub.pem", "--metadata", "data.enc.encryptiondata.json", "--out", "wrong.out"]);
    expect(publicKey.code).toBe(2);
    expect(publicKey.stderr).toMatch(/KEY_FILE_INVALID: key file kek\.pub\.pem: holds a public key/);
    expect(outputs()).toEqual(["data.enc", "data.enc.encryptiondata.json"]);
  });

  it("fails when the ciphertext is not the approved one (wrong expected sha256) and leaves no output", async () => {
    const run = await cleanroom([
      "decrypt", "data.enc", "--key", "kek.pem", "--metadata", "data.enc.encryptiondata.json", "--out", "swap.out",
      "--expect-sha256", "ab".repeat(32),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("DIGEST_MISMATCH");
    expect(outputs()).toEqual(["data.enc", "data.enc.encryptiondata.json"]);
  });

  it("uses protocol 2.1 for other region sizes, reads JWK and PKCS#1 keys and the raw header value", async () => {
    const enc = await cleanroom([
      "encrypt", "data.csv", "--key", "kek.pub.jwk", "--key-id", KEY_ID, "--out", "small.enc",
      "--region-size", "64KiB", "--algorithm", "RSA-OAEP", "--nonce-scheme", "java", "--json",
    ]);
    expect(enc.code).toBe(0);
    expect(enc.stderr).toContain("implies protocol 2.1");
    const summary = JSON.parse(enc.stdout);
    expect(summary).toMatchObject({ protocol: "2.1", regionSize: 65536, algorithm: "RSA-OAEP" });
    // Region 1 starts after 64 KiB + 28 bytes and carries the Java layout of index 1.
    const region1 = readFileSync(join(dir, "small.enc")).subarray(65536 + 28, 65536 + 28 + 12);
    expect(region1.toString("hex")).toBe("000000000000000100000000");
    const header = `x-ms-meta-encryptiondata: ${readFileSync(join(dir, "small.enc.encryptiondata.json"), "utf8")}`;
    writeFileSync(join(dir, "header.txt"), header);
    const dec = await cleanroom(["decrypt", "small.enc", "--key", "kek.pkcs1.pem", "--metadata", "header.txt", "--out", "small.out", "--expect-length", String(plaintext.length)]);
    expect(dec.code).toBe(0);
    expect(readFileSync(join(dir, "small.out")).equals(plaintext)).toBe(true);
    clearOutputs();
  });

  it("rejects contradictory or malformed options with exit 2 and writes nothing", async () => {
    const contradictory = await cleanroom(["encrypt", "data.csv", "--key", "kek.pub.pem", "--key-id", KEY_ID, "--out", "x.enc", "--region-size", "1KiB", "--protocol", "2.0"]);
    expect(contradictory.code).toBe(2);
    expect(contradictory.stderr).toContain("protocol 2.0 requires a region size of 4194304 bytes");
    const missing = await cleanroom(["encrypt", "data.csv", "--key-id", KEY_ID, "--out", "x.enc"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--key");
    const badSha = await cleanroom(["decrypt", "x.enc", "--key", "kek.pem", "--metadata", "m.json", "--out", "x.out", "--expect-sha256", "xyz"]);
    expect(badSha.code).toBe(2);
    const noInput = await cleanroom(["encrypt", "absent.csv", "--key", "kek.pub.pem", "--key-id", KEY_ID, "--out", "x.enc"]);
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain("absent.csv does not exist");
    for (const keyId of ["", "party-a-kek", "https://party-a-kv.vault.azure.net/secrets/dataset-kek", "http://party-a-kv.vault.azure.net/keys/dataset-kek"]) {
      const badKeyId = await cleanroom(["encrypt", "data.csv", "--key", "kek.pub.pem", "--key-id", keyId, "--out", "x.enc"]);
      expect(badKeyId.code, keyId).toBe(2);
      expect(badKeyId.stderr).toContain(`OPTIONS_INVALID: --key-id "${keyId}" is not a Key Vault key id`);
    }
    expect(outputs()).toEqual([]);
  });

  it("refuses a region size no clean-room reader accepts, before writing anything", async () => {
    const huge = await cleanroom(["encrypt", "data.csv", "--key", "kek.pub.pem", "--key-id", KEY_ID, "--out", "x.enc", "--region-size", "128MiB"]);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain("OPTIONS_INVALID: --region-size: 134217728 bytes is above 67108864 (64 MiB)");
    expect(outputs()).toEqual([]);
    // The largest accepted size still round-trips through decrypt.
    const max = await cleanroom(["encrypt", "data.csv", "--key", "kek.pub.pem", "--key-id", KEY_ID, "--out", "max.enc", "--region-size", "64MiB", "--json"]);
    expect(max.code).toBe(0);
    const dec = await cleanroom(["decrypt", "max.enc", "--key", "kek.pem", "--metadata", "max.enc.encryptiondata.json", "--out", "max.out", "--expect-length", String(plaintext.length)]);
    expect(dec.code).toBe(0);
    expect(readFileSync(join(dir, "max.out")).equals(plaintext)).toBe(true);
    clearOutputs();
  });

  it("names an --out that is a directory instead of failing at the final rename", async () => {
    mkdirSync(join(dir, "somedir"));
    try {
      const r = await cleanroom(["encrypt", "data.csv", "--key", "kek.pub.pem", "--key-id", KEY_ID, "--out", "somedir"]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe("cleanroom: OUTPUT_UNWRITABLE: output somedir is a directory; --out must name a file");
      expect(readdirSync(join(dir, "somedir"))).toEqual([]);
    } finally {
      rmSync(join(dir, "somedir"), { recursive: true, force: true });
    }
    expect(outputs()).toEqual([]);
  });

  it("does not quote a --metadata file that is not JSON (e.g. the plaintext given by mistake)", async () => {
    writeFileSync(join(dir, "rows.csv"), "patient,diagnosis\nP-4711,rare-x\n");
    const r = await cleanroom(["decrypt", "data.csv", "--key", "kek.pem", "--metadata", "rows.csv", "--out", "x.out"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("METADATA_MALFORMED: metadata file rows.csv: encryptiondata is not valid JSON");
    expect(r.stderr).not.toContain("patient");
    expect(r.stderr).not.toContain("P-4711");
    clearOutputs();
  });

  it("refuses a --metadata file with KeyId given twice (exit 2), writing no output", async () => {
    const keyId = '"KeyId":"https://v.vault.azure.net/keys/k/1"';
    writeFileSync(
      join(dir, "twice.json"),
      `{"WrappedContentKey":{${keyId},${keyId},"EncryptedKey":"AAECAw==","Algorithm":"RSA-OAEP-256"},"EncryptionAgent":{"Protocol":"2.0","EncryptionAlgorithm":"AES_GCM_256"},"EncryptedRegionInfo":{"DataLength":4194304,"NonceLength":12},"EncryptionMode":"FullBlob"}`,
    );
    const r = await cleanroom(["decrypt", "data.csv", "--key", "kek.pem", "--metadata", "twice.json", "--out", "x.out"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/METADATA_MALFORMED: .*encryptiondata gives the key "KeyId" twice in WrappedContentKey/);
    expect(outputs()).toEqual(["twice.json"]); // the input itself; no x.out, not even a partial one
    clearOutputs();
  });

  it("lists the commands in --help and prints the package version", async () => {
    const help = await cleanroom(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/encrypt \[options\] <in>/);
    expect(help.stdout).toMatch(/decrypt \[options\] <in>/);
    for (const group of ["contract", "policy", "receipt"]) expect(help.stdout).toMatch(new RegExp(`^  ${group}\\b`, "m"));
    // Every command line, not only the groups.
    for (const line of [
      "cleanroom encrypt <in> --key <file> --key-id <id> --out <file> [options]",
      "cleanroom decrypt <in> --key <file> --metadata <file> --out <file> [options]",
      "cleanroom contract hash <contract.json>",
      "cleanroom contract sign <contract.json> --party <name> --key <file>",
      "cleanroom contract verify <contract.json> --approvals <file> [options]",
      "cleanroom policy build --mode <mode> --authority <url> [options]",
      "cleanroom policy explain --policy <file> --token <file> [options]",
      "cleanroom receipt verify <receipt> [options]",
    ]) {
      expect(help.stdout).toContain(`  ${line}\n`);
    }
    const version = await cleanroom(["--version"]);
    expect(version.code).toBe(0);
    const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8"));
    expect(version.stdout.trim()).toBe(packageJson.version);
  });
});

describe("loadKey", () => {
  it("derives the public key from a private key file when a public key is wanted", async () => {
    const key = await loadKey(join(dir, "kek.pem"), "public");
    expect(key.type).toBe("public");
    expect(key.export({ format: "jwk" }).n).toBe(keys.publicKey.export({ format: "jwk" }).n);
  });

  it("reads SPKI, PKCS#1 and JWK (Key Vault RSA-HSM and bundle forms)", async () => {
    expect((await loadKey(join(dir, "kek.pub.pem"), "public")).type).toBe("public");
    expect((await loadKey(join(dir, "kek.pkcs1.pem"), "private")).type).toBe("private");
    expect((await loadKey(join(dir, "kek.pub.jwk"), "public")).asymmetricKeyType).toBe("rsa");
    const bundle = join(dir, "bundle.json");
    writeFileSync(bundle, JSON.stringify({ key: { ...keys.publicKey.export({ format: "jwk" }), kty: "RSA-HSM", kid: KEY_ID } }));
    expect((await loadKey(bundle, "public")).type).toBe("public");
    rmSync(bundle);
  });

  it("names the file and the problem", async () => {
    await expect(loadKey(join(dir, "kek.pub.pem"), "private")).rejects.toThrow(/kek\.pub\.pem: holds a public key/);
    await expect(loadKey(join(dir, "absent.pem"), "public")).rejects.toThrow(/absent\.pem: does not exist/);
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "hello");
    await expect(loadKey(garbage, "public")).rejects.toThrow(/garbage\.pem: is neither PEM nor JWK JSON/);
    writeFileSync(garbage, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
    await expect(loadKey(garbage, "private")).rejects.toThrow(/passphrase-protected/);
    writeFileSync(garbage, '{"kty":"RSA","n":"AQAB"}');
    await expect(loadKey(garbage, "public")).rejects.toMatchObject({ code: "KEY_FILE_INVALID", exitCode: 2 });
    rmSync(garbage);
  });
});

describe("metadata file forms", () => {
  const data = {
    WrappedContentKey: { KeyId: KEY_ID, EncryptedKey: "AAECAw==", Algorithm: "RSA-OAEP" as const },
    EncryptionAgent: { Protocol: "2.0" as const, EncryptionAlgorithm: "AES_GCM_256" as const },
    EncryptedRegionInfo: { DataLength: 4194304, NonceLength: 12 as const },
    EncryptionMode: "FullBlob" as const,
  };
  const json = serializeEncryptionData(data);

  it.each([
    ["the .encryptiondata.json file", `${json}\n`],
    ["the header line", `x-ms-meta-encryptiondata: ${json}`],
    ["a JSON string holding the value", JSON.stringify(json)],
    ["a blob metadata map", JSON.stringify({ EncryptionData: json, other: "x" })],
  ])("accepts %s", (_name, text) => {
    expect(extractEncryptionData(text)).toEqual(data);
  });

  it("reports anything else as malformed metadata", () => {
    expect(() => extractEncryptionData("not json")).toThrow(expect.objectContaining({ code: "METADATA_MALFORMED" }));
  });
});

describe("progress and exit codes", () => {
  const MiB = 1024 * 1024;
  it("shows progress only for inputs over 64 MiB on a terminal outside CI", () => {
    expect(shouldShowProgress({ totalBytes: 65 * MiB, isTTY: true, env: {} })).toBe(true);
    expect(shouldShowProgress({ totalBytes: 64 * MiB, isTTY: true, env: {} })).toBe(false);
    expect(shouldShowProgress({ totalBytes: 65 * MiB, isTTY: false, env: {} })).toBe(false);
    expect(shouldShowProgress({ totalBytes: 65 * MiB, isTTY: true, env: { CI: "true" } })).toBe(false);
    expect(shouldShowProgress({ totalBytes: 65 * MiB, isTTY: true, env: { CLEANROOM_NO_PROGRESS: "1" } })).toBe(false);
    expect(shouldShowProgress({ totalBytes: undefined, isTTY: true, env: {} })).toBe(false);
  });

  it("draws the bar on the terminal stream it is given, ends its line, and stays silent otherwise", () => {
    const fakeStream = (isTTY: boolean) => {
      const stream = { isTTY, text: "", write: (t: string) => void (stream.text += t) };
      return stream;
    };
    const terminal = fakeStream(true);
    const bar = createProgress(terminal, 128 * MiB, { env: {}, label: "encrypt", intervalMs: 0 });
    bar.update(32 * MiB);
    bar.finish(true);
    expect(terminal.text).toBe(`\rencrypt ${renderProgress(32 * MiB, 128 * MiB)}\rencrypt ${renderProgress(128 * MiB, 128 * MiB)}\n`);

    const failed = fakeStream(true);
    const failing = createProgress(failed, 128 * MiB, { env: {}, intervalMs: 0 });
    failing.update(MiB);
    failing.finish(false);
    expect(failed.text.endsWith("\n")).toBe(true); // the error message then starts on its own line
    expect(failed.text).not.toContain("100%");

    const quietCases: [ReturnType<typeof fakeStream>, number, Record<string, string>][] = [
      [fakeStream(false), 128 * MiB, {}], // a pipe or a log file
      [fakeStream(true), 64 * MiB, {}], // a small file
      [fakeStream(true), 128 * MiB, { CI: "true" }],
    ];
    for (const [stream, total, env] of quietCases) {
      const quiet = createProgress(stream, total, { env, intervalMs: 0 });
      quiet.update(total / 2);
      quiet.finish(true);
      expect(stream.text).toBe("");
    }
  });

  it("renders a bounded bar", () => {
    expect(renderProgress(32 * MiB, 128 * MiB, 8)).toBe("[##------]  25% 32.0/128.0 MiB");
    expect(renderProgress(200, 100, 4)).toBe("[####] 100% 0.0/0.0 MiB");
  });

  it("maps input problems to 2 and verification failures to 1", () => {
    expect(exitCodeFor(new EnvelopeError("METADATA_MALFORMED", "x"))).toBe(2);
    expect(exitCodeFor(new EnvelopeError("AUTH_TAG_MISMATCH", "x"))).toBe(1);
    expect(exitCodeFor(new CliError("OPTIONS_INVALID", "x"))).toBe(2);
    expect(exitCodeFor(Object.assign(new Error("x"), { code: "commander.helpDisplayed" }))).toBe(0);
    expect(exitCodeFor(Object.assign(new Error("x"), { code: "commander.unknownOption" }))).toBe(2);
  });

  it("parses region sizes with binary units", () => {
    expect(parseByteSize("4MiB")).toBe(4 * MiB);
    expect(parseByteSize("64k")).toBe(65536);
    expect(parseByteSize("4194304")).toBe(4 * MiB);
    expect(() => parseByteSize("-1")).toThrow(/not a positive byte count/);
  });
});

/**
 * Interoperability with the official Azure Storage SDK for Python (Debian python3-azure,
 * azure-storage-blob 12.15, client-side encryption v2.0) through Azurite, in both directions.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  METADATA_KEY,
  createDecryptStream,
  encryptStream,
  parseEncryptionData,
  serializeEncryptionData,
  unwrapContentKey,
  type KeyWrapAlgorithm,
  type NonceScheme,
} from "../../enclave-app/src/envelope/index.ts";
import { KEY_ID, rsaKeys } from "../envelope/support.ts";
import { useAzurite } from "../helpers/azurite.ts";

const PYTHON = "/usr/bin/python3";
const HELPER = join(import.meta.dirname, "cse_python.py");
const MiB = 1024 * 1024;
const SIZES = [0, 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 10 * MiB + 123];
const ALGORITHMS: KeyWrapAlgorithm[] = ["RSA-OAEP", "RSA-OAEP-256"];

function pythonProblem(): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", "import azure.storage.blob, cryptography"], { encoding: "utf8", timeout: 30_000 });
  if (probe.error !== undefined) return `${PYTHON} cannot run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} cannot import azure.storage.blob/cryptography (apt-get install python3-azure): ${probe.stderr.trim().split("\n").pop()}`;
  return undefined;
}

const problem = pythonProblem();
const inCi = process.env["CI"] === "true";
if (problem !== undefined && !inCi) console.warn(`skipping Python SDK interop tests: ${problem}`);

interface PythonCase {
  blob: string;
  file: string;
  algorithm: KeyWrapAlgorithm;
}

async function runPython(request: object): Promise<{ results: Record<string, unknown>[] }> {
  const child = spawn(PYTHON, [HELPER], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  child.stdin.end(JSON.stringify(request));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`${HELPER} exited with ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout) as { results: Record<string, unknown>[] };
}

describe("CI requirement", () => {
  it.runIf(inCi)("has the Python SDK available in CI", () => {
    expect(problem).toBeUndefined();
  });
});

describe.skipIf(problem !== undefined)("Azure Storage SDK for Python <-> envelope (via Azurite)", () => {
  const azurite = useAzurite();
  let dir: string;
  let container: ContainerClient;
  const source = randomBytes(10 * MiB + 123);
  const plaintextOf = (size: number): Buffer => source.subarray(0, size);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cse-interop-"));
    const service = BlobServiceClient.fromConnectionString(azurite().connectionString);
    container = service.getContainerClient("interop");
    await container.createIfNotExists();
  });

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function request(mode: "upload" | "download", cases: PythonCase[]): object {
    return {
      mode,
      connectionString: azurite().connectionString,
      container: "interop",
      privateKeyPem: rsaKeys().privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      kid: KEY_ID,
      cases,
    };
  }

  it("decrypts blobs the Python SDK encrypted, byte for byte, for both key wrap algorithms", async () => {
    const cases = ALGORITHMS.flatMap((algorithm) =>
      SIZES.map((size) => {
        const file = join(dir, `py-${algorithm}-${size}.bin`);
        writeFileSync(file, plaintextOf(size));
        return { blob: `python/${algorithm}/${size}`, file, algorithm, size };
      }),
    );
    const { results } = await runPython(request("upload", cases));

    // The SDK wraps "2.0" NUL-padded to 8 bytes, then the 32-byte content key.
    for (const result of results) {
      expect(result["wrapInputPrefixHex"]).toBe("322e300000000000");
      expect(result["wrapInputLength"]).toBe(40);
    }

    for (const c of cases) {
      const download = await container.getBlobClient(c.blob).download();
      const raw = download.metadata?.[METADATA_KEY];
      expect(raw, `${c.blob} has encryptiondata`).toBeDefined();
      const encryptionData = parseEncryptionData(raw!);
      expect(encryptionData.EncryptionAgent.Protocol).toBe("2.0");
      expect(encryptionData.WrappedContentKey.Algorithm).toBe(c.algorithm);
      expect(encryptionData.KeyWrappingMetadata?.["EncryptionLibrary"]).toMatch(/^Python /);
      const cek = unwrapContentKey(Buffer.from(encryptionData.WrappedContentKey.EncryptedKey, "base64"), {
        kek: rsaKeys().privateKey,
        algorithm: encryptionData.WrappedContentKey.Algorithm,
        protocol: encryptionData.EncryptionAgent.Protocol,
      });
      const decryptor = createDecryptStream({ cek, encryptionData, expectedLength: c.size });
      const parts: Buffer[] = [];
      await pipeline(
        download.readableStreamBody ?? Readable.from([]),
        decryptor,
        new Writable({ write(chunk, _encoding, callback) { parts.push(chunk); callback(); } }),
      );
      const plaintext = Buffer.concat(parts);
      expect(plaintext.length, c.blob).toBe(c.size);
      expect(plaintext.equals(plaintextOf(c.size)), c.blob).toBe(true);
      if (c.size > 4 * MiB) expect(decryptor.nonceScheme, c.blob).toBe("python");
    }
  });

  it("writes blobs the Python SDK decrypts, including Java and .NET nonce layouts", async () => {
    const layouts: { algorithm: KeyWrapAlgorithm; scheme: NonceScheme; size: number }[] = [
      ...ALGORITHMS.flatMap((algorithm) => SIZES.map((size) => ({ algorithm, scheme: "python" as const, size }))),
      { algorithm: "RSA-OAEP-256", scheme: "java", size: 10 * MiB + 123 },
      { algorithm: "RSA-OAEP", scheme: "dotnet", size: 10 * MiB + 123 },
    ];
    const cases: (PythonCase & { size: number })[] = [];
    for (const layout of layouts) {
      const blob = `node/${layout.algorithm}/${layout.scheme}/${layout.size}`;
      const parts: Buffer[] = [];
      const result = await encryptStream(
        Readable.from([plaintextOf(layout.size)]),
        new Writable({ write(chunk, _encoding, callback) { parts.push(chunk); callback(); } }),
        { kek: rsaKeys().publicKey, keyId: KEY_ID, algorithm: layout.algorithm, nonceScheme: layout.scheme },
      );
      const body = Buffer.concat(parts);
      await container.getBlockBlobClient(blob).uploadData(body, { metadata: { [METADATA_KEY]: serializeEncryptionData(result.encryptionData) } });
      cases.push({ blob, file: join(dir, `node-${cases.length}.bin`), algorithm: layout.algorithm, size: layout.size });
    }
    const { results } = await runPython(request("download", cases));
    expect(results.map((r) => r["length"])).toEqual(cases.map((c) => c.size));
    for (const c of cases) {
      expect(readFileSync(c.file).equals(plaintextOf(c.size)), c.blob).toBe(true);
    }
  });
});

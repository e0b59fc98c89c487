/**
 * `cleanroom decrypt`: what a result recipient (or a data owner checking its upload) runs. The
 * plaintext file appears only if every region authenticated and the expectations held.
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import {
  EnvelopeError,
  METADATA_KEY,
  decryptStream,
  parseEncryptionData,
  unwrapContentKey,
  type DecryptResult,
  type EncryptionData,
} from "../../envelope/index.ts";
import { JSON_MAX_BYTES, parseJsonStrict } from "../../protocol/index.ts";
import { loadKey } from "../keys.ts";
import { CliError } from "../output.ts";
import { createProgress } from "../progress.ts";
import { checkOutputs, writeOutputs, type OutputPlan } from "../safe-output.ts";

interface DecryptCommandOptions {
  key: string;
  metadata: string;
  out: string;
  expectSha256?: string;
  expectLength?: number;
  force?: boolean;
  json?: boolean;
}

const HEADER_PREFIX = /^x-ms-meta-encryptiondata\s*:\s*/i;

/**
 * Accepts what people have at hand: the `.encryptiondata.json` file, the raw header value (with or
 * without the `x-ms-meta-encryptiondata:` name), a JSON string holding it, or a blob metadata map
 * such as `az storage blob metadata show` prints.
 */
export function extractEncryptionData(text: string): EncryptionData {
  let value: unknown = text.trim().replace(HEADER_PREFIX, "");
  for (let depth = 0; depth < 3; depth += 1) {
    if (typeof value === "string") {
      try {
        value = parseJsonStrict(value, { what: "encryptiondata", maxBytes: JSON_MAX_BYTES.encryptionMetadata });
      } catch {
        break; // parseEncryptionData parses this text again and reports why it is refused
      }
      continue;
    }
    if (typeof value === "object" && value !== null && !("WrappedContentKey" in value)) {
      const entry = Object.entries(value).find(([key]) => key.toLowerCase() === METADATA_KEY);
      if (entry !== undefined) {
        value = entry[1];
        continue;
      }
    }
    break;
  }
  return parseEncryptionData(value as string | object);
}

export function parseExpectedSha256(text: string): string {
  const hex = text.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new CliError("OPTIONS_INVALID", "--expect-sha256 must be 64 hex characters");
  return hex;
}

export function parseExpectedLength(text: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new CliError("OPTIONS_INVALID", `--expect-length must be a non-negative integer, got "${text}"`);
  return value;
}

async function readMetadata(path: string): Promise<EncryptionData> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new CliError("INPUT_INVALID", `metadata file ${path} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code})`}`, { cause: error });
  }
  try {
    return extractEncryptionData(text);
  } catch (error) {
    if (error instanceof EnvelopeError) {
      throw new EnvelopeError(error.code, `metadata file ${path}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

export async function runDecrypt(input: string, opts: DecryptCommandOptions): Promise<DecryptResult> {
  const plan: OutputPlan = {
    outputs: [{ path: opts.out, label: "--out" }],
    inputs: [
      { path: input, label: "input" },
      { path: opts.metadata, label: "--metadata" },
      { path: opts.key, label: "--key" },
    ],
    force: opts.force === true,
  };
  // Before the key is unwrapped: an unusable --out is reported without touching the private key.
  await checkOutputs(plan);
  const encryptionData = await readMetadata(opts.metadata);
  const kek = await loadKey(opts.key, "private");
  let size: number;
  try {
    size = (await stat(input)).size;
  } catch (error) {
    throw new CliError("INPUT_INVALID", `input ${input} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`, { cause: error });
  }
  if (opts.expectSha256 === undefined && opts.expectLength === undefined) {
    process.stderr.write("note: without --expect-sha256/--expect-length a blob cut at a region boundary or an older blob swapped in is not detected\n");
  }
  const cek = unwrapContentKey(Buffer.from(encryptionData.WrappedContentKey.EncryptedKey, "base64"), {
    kek,
    algorithm: encryptionData.WrappedContentKey.Algorithm,
    protocol: encryptionData.EncryptionAgent.Protocol,
  });
  const progress = createProgress(process.stderr, size, { label: "decrypt" });
  try {
    const result = await writeOutputs(plan, ([plaintext]) =>
      decryptStream(createReadStream(input), plaintext!, {
        cek,
        encryptionData,
        ...(opts.expectSha256 === undefined ? {} : { expectedSha256: opts.expectSha256 }),
        ...(opts.expectLength === undefined ? {} : { expectedLength: opts.expectLength }),
        onProgress: (bytes) => progress.update(bytes),
      }),
    );
    progress.finish(true);
    return result;
  } catch (error) {
    progress.finish(false);
    throw error;
  } finally {
    cek.fill(0);
  }
}

export function register(program: Command): void {
  program
    .command("decrypt")
    .summary("decrypt a client-side-encrypted (v2) blob with the key-encryption key's private key")
    .description(
      "Decrypt <in> using its `encryptiondata` metadata and the RSA private key of the KEK. Every region's " +
        "tag, its position (nonce order) and, when given, the expected ciphertext sha256 and plaintext length " +
        "are checked; --out is written only if all checks pass.",
    )
    .argument("<in>", "ciphertext file")
    .requiredOption("--key <file>", "KEK private key (PEM or JWK)")
    .requiredOption("--metadata <file>", "the .encryptiondata.json file, or the raw x-ms-meta-encryptiondata value")
    .requiredOption("--out <file>", "plaintext output file")
    .option("--expect-sha256 <hex>", "ciphertext sha256 that must match (as pinned in the contract)", parseExpectedSha256)
    .option("--expect-length <n>", "plaintext length that must match (as pinned in the contract)", parseExpectedLength)
    .option("--force", "replace an existing --out (never an input or a symbolic link); it stays as it was if decryption fails")
    .option("--json", "print one JSON object instead of text")
    .action(async (input: string, opts: DecryptCommandOptions) => {
      const result = await runDecrypt(input, opts);
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ out: opts.out, ...result })}\n`);
      } else {
        process.stdout.write(`plaintext         ${opts.out}\nciphertext sha256 ${result.ciphertextSha256}\nplaintext length  ${result.plaintextLength}\n`);
      }
    });
}

/**
 * `cleanroom encrypt`: what a data owner runs before uploading a dataset. Produces the ciphertext
 * and its `encryptiondata` metadata (the value to set as blob metadata), and prints the ciphertext
 * sha256 and plaintext length that go into the contract.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Option, type Command } from "commander";
import {
  DEFAULT_NONCE_SCHEME,
  DEFAULT_REGION_SIZE,
  EnvelopeError,
  MAX_REGION_SIZE,
  NONCE_SCHEMES,
  encryptStream,
  resolveWriterLayout,
  serializeEncryptionData,
  type CseProtocol,
  type EncryptResult,
  type KeyWrapAlgorithm,
  type NonceScheme,
} from "../../envelope/index.ts";
import { isKeyVaultKeyId } from "../../protocol/index.ts";
import { loadKey } from "../keys.ts";
import { CliError } from "../output.ts";
import { createProgress } from "../progress.ts";
import { writeOutputs } from "../safe-output.ts";

export const METADATA_FILE_SUFFIX = ".encryptiondata.json";

interface EncryptCommandOptions {
  key: string;
  keyId: string;
  out: string;
  algorithm: KeyWrapAlgorithm;
  regionSize?: number;
  protocol?: CseProtocol;
  nonceScheme: NonceScheme;
  force?: boolean;
  json?: boolean;
}

const SIZE = /^(\d+)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)$/i;
const UNIT: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** "4194304", "4MiB", "64k" -> bytes (binary units: storage SDKs count regions in KiB/MiB). */
export function parseByteSize(text: string): number {
  const match = SIZE.exec(text.trim());
  const unit = UNIT[(match?.[2] ?? "").toLowerCase()];
  const value = match?.[1] === undefined || unit === undefined ? Number.NaN : Number(match[1]) * unit;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new CliError("OPTIONS_INVALID", `--region-size: "${text}" is not a positive byte count (e.g. 4194304, 4MiB, 64KiB)`);
  }
  return value;
}

export function metadataPathFor(out: string): string {
  return `${out}${METADATA_FILE_SUFFIX}`;
}

async function inputSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CliError("INPUT_INVALID", `input ${path} is not a regular file`);
    return info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new CliError("INPUT_INVALID", `input ${path} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code})`}`, { cause: error });
  }
}

export async function runEncrypt(input: string, opts: EncryptCommandOptions): Promise<EncryptResult> {
  let layout: { protocol: CseProtocol; regionSize: number };
  try {
    layout = resolveWriterLayout({ protocol: opts.protocol, regionSize: opts.regionSize });
  } catch (error) {
    if (error instanceof EnvelopeError) throw new CliError("OPTIONS_INVALID", `--region-size/--protocol: ${error.message}`, { cause: error });
    throw error;
  }
  // The format allows regions up to 1 GiB, but every reader here (the enclave, `cleanroom decrypt`)
  // holds regions in memory and refuses larger ones: such a dataset could never be used.
  if (layout.regionSize > MAX_REGION_SIZE) {
    throw new CliError(
      "OPTIONS_INVALID",
      `--region-size: ${layout.regionSize} bytes is above ${MAX_REGION_SIZE} (64 MiB), the largest region the enclave and cleanroom decrypt accept`,
    );
  }
  if (opts.protocol === undefined && layout.regionSize !== DEFAULT_REGION_SIZE) {
    process.stderr.write(
      `note: region size ${layout.regionSize} implies protocol 2.1 (readable by current .NET and Java SDKs and by Python azure-storage-blob >= 12.23.1, not by older Python SDKs)\n`,
    );
  }
  const keyId = opts.keyId.trim();
  // The enclave unwraps a dataset only if this id names its owner's KEK as the contract does; a
  // typo here would surface only at run time, as a dataset whose key belongs to nobody.
  if (!isKeyVaultKeyId(keyId)) {
    throw new CliError("OPTIONS_INVALID", `--key-id "${keyId}" is not a Key Vault key id https://<vault host>/keys/<name>[/<version>]`);
  }
  const kek = await loadKey(opts.key, "public");
  const size = await inputSize(input);
  const progress = createProgress(process.stderr, size, { label: "encrypt" });
  const metadataPath = metadataPathFor(opts.out);
  try {
    const plan = {
      outputs: [
        { path: opts.out, label: "--out" },
        { path: metadataPath, label: "metadata output" },
      ],
      inputs: [
        { path: input, label: "input" },
        { path: opts.key, label: "--key" },
      ],
      force: opts.force === true,
    };
    // Ciphertext and metadata are published together: one without the other is undecryptable.
    const result = await writeOutputs(plan, async ([ciphertext, metadata]) => {
      const encrypted = await encryptStream(createReadStream(input), ciphertext!, {
        kek,
        keyId,
        algorithm: opts.algorithm,
        protocol: layout.protocol,
        regionSize: layout.regionSize,
        nonceScheme: opts.nonceScheme,
        onProgress: (bytes) => progress.update(bytes),
      });
      // The file holds exactly the header value, so it can be passed to `--metadata encryptiondata=...`.
      metadata!.end(`${serializeEncryptionData(encrypted.encryptionData)}\n`);
      return encrypted;
    });
    progress.finish(true);
    return result;
  } catch (error) {
    progress.finish(false);
    throw error;
  }
}

export function register(program: Command): void {
  program
    .command("encrypt")
    .summary("encrypt a dataset (Azure Storage client-side encryption v2) under a party's key-encryption key")
    .description(
      "Encrypt <in> with a fresh AES-256-GCM content key wrapped under the RSA key-encryption key (KEK). " +
        "Writes the ciphertext to --out and the blob metadata value `encryptiondata` to <out>" + METADATA_FILE_SUFFIX + ", " +
        "then prints the ciphertext sha256 and plaintext length to pin in the contract.",
    )
    .argument("<in>", "plaintext file")
    .requiredOption("--key <file>", "KEK public key (PEM or JWK); a private key file is accepted, only its public half is used")
    .requiredOption("--key-id <id>", "Key Vault key id recorded in the metadata, https://<vault>.vault.azure.net/keys/<name>/<version>")
    .requiredOption("--out <file>", "ciphertext output file")
    .addOption(new Option("--algorithm <alg>", "key wrap algorithm").choices(["RSA-OAEP", "RSA-OAEP-256"]).default("RSA-OAEP-256"))
    .addOption(new Option("--region-size <bytes>", "plaintext bytes per region, at most 64MiB (default 4MiB; other sizes imply protocol 2.1)").argParser(parseByteSize))
    .addOption(new Option("--protocol <version>", "encryption protocol (default: 2.0 for 4 MiB regions, else 2.1)").choices(["2.0", "2.1"]))
    .addOption(
      new Option("--nonce-scheme <sdk>", "per-region nonce layout; the default java layout is the one every SDK reader accepts")
        .choices(NONCE_SCHEMES)
        .default(DEFAULT_NONCE_SCHEME),
    )
    .option("--force", "replace an existing --out and its metadata file (never an input or a symbolic link)")
    .option("--json", "print one JSON object instead of text")
    .action(async (input: string, opts: EncryptCommandOptions) => {
      const result = await runEncrypt(input, opts);
      const summary = {
        out: opts.out,
        metadata: metadataPathFor(opts.out),
        ciphertextSha256: result.ciphertextSha256,
        plaintextLength: result.plaintextLength,
        ciphertextLength: result.ciphertextLength,
        keyId: result.encryptionData.WrappedContentKey.KeyId,
        algorithm: result.encryptionData.WrappedContentKey.Algorithm,
        protocol: result.encryptionData.EncryptionAgent.Protocol,
        regionSize: result.encryptionData.EncryptedRegionInfo.DataLength,
      };
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      } else {
        process.stdout.write(
          `ciphertext        ${summary.out}\n` +
            `metadata          ${summary.metadata}\n` +
            `ciphertext sha256 ${summary.ciphertextSha256}\n` +
            `plaintext length  ${summary.plaintextLength}\n`,
        );
      }
    });
}

/**
 * Envelope throughput and memory: streams N MiB (default 512) through the CSE v2 writer and reader
 * with 4 MiB regions and prints MB/s, peak RSS and, when `openssl` is on PATH, the reference figure
 * of `openssl speed -evp aes-256-gcm` for 4 MiB blocks on one core.
 *
 *   npm run bench:envelope -- [--size-mib 512]
 */
import { spawnSync } from "node:child_process";
import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  DEFAULT_REGION_SIZE,
  createDecryptStream,
  createEncryptStream,
  encryptStream,
  generateContentKey,
  unwrapContentKey,
} from "../enclave-app/src/envelope/index.ts";

const MiB = 1024 * 1024;
const KEY_ID = "https://bench.vault.azure.net/keys/kek/1";
const sizeArg = process.argv.indexOf("--size-mib");
const sizeMiB = sizeArg > 0 ? Number(process.argv[sizeArg + 1]) : 512;
if (!Number.isInteger(sizeMiB) || sizeMiB <= 0) throw new Error("--size-mib must be a positive integer");
const totalBytes = sizeMiB * MiB;
const REPEATS = 3;

/** Plaintext source: one random MiB repeated (AES-GCM speed does not depend on the data). */
function source(): Readable {
  const block = randomBytes(MiB);
  let sent = 0;
  return new Readable({
    highWaterMark: MiB,
    read() {
      if (sent >= totalBytes) {
        this.push(null);
        return;
      }
      sent += block.length;
      this.push(block);
    },
  });
}

function discard(): Writable {
  return new Writable({ highWaterMark: MiB, write(_chunk, _encoding, callback) { callback(); } });
}

function rssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Highest RSS sampled while `run` executes (maxRSS alone only ever grows over the process). */
async function samplingRss<T>(run: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    const result = await run();
    return { result, peakMiB: Math.max(peak, process.memoryUsage.rss()) / MiB };
  } finally {
    clearInterval(timer);
  }
}

/** Best of REPEATS runs: the machine may be shared, and the best run is the least disturbed one. */
async function timed(label: string, run: () => Promise<void>, bytes = totalBytes): Promise<number> {
  const rates: number[] = [];
  let peakMiB = 0;
  for (let i = 0; i < REPEATS; i += 1) {
    const start = process.hrtime.bigint();
    peakMiB = Math.max(peakMiB, (await samplingRss(run)).peakMiB);
    rates.push(bytes / 1e6 / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  const best = Math.max(...rates);
  const median = [...rates].sort((a, b) => a - b)[Math.floor(REPEATS / 2)] ?? best;
  console.log(`${label.padEnd(46)} ${best.toFixed(0).padStart(6)} MB/s best, ${median.toFixed(0).padStart(6)} median, RSS <= ${peakMiB.toFixed(0)} MiB`);
  return best;
}

/** node:crypto alone: AES-256-GCM decryption of 4 MiB regions, no streams, no hashing. */
function rawNodeDecrypt(regions: number): Promise<void> {
  const cek = generateContentKey();
  const nonce = Buffer.alloc(12);
  const body = randomBytes(DEFAULT_REGION_SIZE);
  const cipher = createCipheriv("aes-256-gcm", cek, nonce);
  const ciphertext = Buffer.concat([cipher.update(body), cipher.final()]);
  const tag = cipher.getAuthTag();
  for (let i = 0; i < regions; i += 1) {
    const decipher = createDecipheriv("aes-256-gcm", cek, nonce);
    decipher.setAuthTag(tag);
    decipher.update(ciphertext);
    decipher.final();
  }
  return Promise.resolve();
}

function rawSha256(chunks: number): Promise<void> {
  const block = randomBytes(MiB);
  const hash = createHash("sha256");
  for (let i = 0; i < chunks; i += 1) hash.update(block);
  hash.digest();
  return Promise.resolve();
}

function opensslReference(): number | undefined {
  const run = spawnSync("openssl", ["speed", "-evp", "aes-256-gcm", "-bytes", String(DEFAULT_REGION_SIZE), "-seconds", "3"], { encoding: "utf8" });
  if (run.error !== undefined || run.status !== 0) return undefined;
  // Last line: "AES-256-GCM   4433379.33k" (1000s of bytes per second).
  const match = /aes-256-gcm\s+([\d.]+)k\s*$/im.exec(run.stdout.trim());
  return match?.[1] === undefined ? undefined : (Number(match[1]) * 1000) / 1e6;
}

const dir = mkdtempSync(join(tmpdir(), "bench-envelope-"));
try {
  console.log(`node ${process.version}, ${sizeMiB} MiB plaintext, ${DEFAULT_REGION_SIZE / MiB} MiB regions, one core, best of ${REPEATS}\n`);
  console.log(`${"baseline peak RSS".padEnd(46)} ${rssMiB().toFixed(0).padStart(6)} MiB`);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });

  const cek = generateContentKey();
  const encryptMBs = await timed("encrypt (createEncryptStream)", () => pipeline(source(), createEncryptStream({ cek }), discard()));
  await timed("encrypt + ciphertext sha256 (encryptStream)", async () => {
    await encryptStream(source(), discard(), { kek: publicKey, keyId: KEY_ID });
  });

  const file = join(dir, "ciphertext.bin");
  const written = await encryptStream(source(), createWriteStream(file), { kek: publicKey, keyId: KEY_ID });
  const encryptionData = written.encryptionData;
  const fileCek = unwrapContentKey(Buffer.from(encryptionData.WrappedContentKey.EncryptedKey, "base64"), {
    kek: privateKey,
    algorithm: encryptionData.WrappedContentKey.Algorithm,
    protocol: encryptionData.EncryptionAgent.Protocol,
  });
  const decryptMBs = await timed("decrypt + sha256/length checks (from file)", () =>
    pipeline(
      createReadStream(file, { highWaterMark: MiB }),
      createDecryptStream({ cek: fileCek, encryptionData, expectedSha256: written.ciphertextSha256, expectedLength: totalBytes }),
      discard(),
    ),
  );

  console.log("");
  const rawMBs = await timed("node:crypto AES-256-GCM decrypt alone", () => rawNodeDecrypt(totalBytes / DEFAULT_REGION_SIZE));
  await timed("node:crypto sha256 alone", () => rawSha256(totalBytes / MiB));

  const reference = opensslReference();
  console.log("");
  if (reference === undefined) {
    console.log("openssl not on PATH: no reference figure");
  } else {
    console.log(`${"openssl speed -evp aes-256-gcm, 4 MiB blocks".padEnd(46)} ${reference.toFixed(0).padStart(6)} MB/s`);
    console.log(`${"encrypt stream / openssl".padEnd(46)} ${((encryptMBs / reference) * 100).toFixed(0).padStart(6)} %`);
    console.log(`${"node:crypto AES-256-GCM decrypt / openssl".padEnd(46)} ${((rawMBs / reference) * 100).toFixed(0).padStart(6)} %`);
    console.log(`${"decrypt stream incl. sha256 / openssl".padEnd(46)} ${((decryptMBs / reference) * 100).toFixed(0).padStart(6)} %`);
  }
  console.log(`${"peak RSS over the whole run".padEnd(46)} ${rssMiB().toFixed(0).padStart(6)} MiB for ${sizeMiB} MiB of data`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

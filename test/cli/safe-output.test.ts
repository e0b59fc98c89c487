/**
 * Issue #9, "The CLI does not destroy files": every rule of enclave-app/src/cli/safe-output.ts
 * through the real `cleanroom` bin (child process), judged by what is on disk afterwards.
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { linkSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

const BIN = join(import.meta.dirname, "..", "..", "enclave-app", "bin", "cleanroom.ts");
const KEY_ID = "https://party-a-kv.vault.azure.net/keys/dataset-kek/0123456789abcdef";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;

function cleanroom(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, CLEANROOM_DEBUG: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const plaintext = randomBytes(200_000);
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const FIXTURES = ["data.csv", "kek.pub.pem", "kek.pem", "data.enc", "data.enc.encryptiondata.json"];
const read = (name: string): Buffer => readFileSync(join(dir, name));
const write = (name: string, content: string | Buffer): void => writeFileSync(join(dir, name), content);
const encrypt = (out: string, ...extra: string[]): Promise<Run> => cleanroom("encrypt", "data.csv", "--key", "kek.pub.pem", "--key-id", KEY_ID, "--out", out, ...extra);
const decrypt = (input: string, out: string, ...extra: string[]): Promise<Run> =>
  cleanroom("decrypt", input, "--key", "kek.pem", "--metadata", "data.enc.encryptiondata.json", "--out", out, ...extra);

/** Every name in the directory that is not a fixture; temporary or backup files would show here. */
function extraFiles(): string[] {
  return readdirSync(dir).filter((name) => !FIXTURES.includes(name)).sort();
}

/** The fixtures' bytes, to prove a refused command changed none of them. */
function snapshot(): Map<string, string> {
  return new Map(FIXTURES.map((name) => [name, read(name).toString("base64")]));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cleanroom-safe-output-"));
  write("data.csv", plaintext);
  write("kek.pub.pem", keys.publicKey.export({ format: "pem", type: "spki" }));
  write("kek.pem", keys.privateKey.export({ format: "pem", type: "pkcs8" }));
  const run = await encrypt("data.enc");
  expect(run.code, run.stderr).toBe(0);
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  for (const name of extraFiles()) rmSync(join(dir, name), { force: true });
});

describe("an output that is an input is refused, also with --force", () => {
  it("encrypt --out ./data.csv (the input named differently): exit 2, both named, input unchanged", async () => {
    const before = snapshot();
    const run = await encrypt("./data.csv", "--force");
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      "cleanroom: OUTPUT_IS_INPUT: --out ./data.csv is the same file as input data.csv; writing it would destroy the input, choose another output path",
    );
    expect(snapshot()).toEqual(before);
    expect(extraFiles()).toEqual([]);
  });

  it("an --out that is a hard link to the input is the same file", async () => {
    linkSync(join(dir, "data.csv"), join(dir, "alias.csv"));
    const run = await encrypt("alias.csv", "--force");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("OUTPUT_IS_INPUT: --out alias.csv is the same file as input data.csv");
    expect(read("alias.csv").equals(plaintext)).toBe(true);
    expect(statSync(join(dir, "alias.csv")).ino).toBe(statSync(join(dir, "data.csv")).ino);
    expect(extraFiles()).toEqual(["alias.csv"]);
  });

  it("encrypt's metadata output (<out>.encryptiondata.json) may not be the input either", async () => {
    write("rows.encryptiondata.json", "the plaintext, badly named");
    const result = await cleanroom("encrypt", "rows.encryptiondata.json", "--key", "kek.pub.pem", "--key-id", KEY_ID, "--out", "rows", "--force");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("OUTPUT_IS_INPUT: metadata output rows.encryptiondata.json is the same file as input rows.encryptiondata.json");
    expect(read("rows.encryptiondata.json").toString()).toBe("the plaintext, badly named");
    expect(extraFiles()).toEqual(["rows.encryptiondata.json"]);
  });

  it("decrypt --out naming the ciphertext, the metadata file or the key file", async () => {
    const before = snapshot();
    for (const [out, label] of [["data.enc", "input data.enc"], ["./data.enc.encryptiondata.json", "--metadata data.enc.encryptiondata.json"], ["kek.pem", "--key kek.pem"]] as const) {
      const run = await decrypt("data.enc", out, "--force");
      expect(run.code, out).toBe(2);
      expect(run.stderr).toContain(`OUTPUT_IS_INPUT: --out ${out} is the same file as ${label}`);
    }
    expect(snapshot()).toEqual(before);
    expect(extraFiles()).toEqual([]);
  });
});

describe("an existing output is replaced only with --force", () => {
  it("without --force: exit 2 naming the file, nothing changed (for the data file and for the metadata file)", async () => {
    write("old.enc", "previous ciphertext");
    const run = await encrypt("old.enc");
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("cleanroom: OUTPUT_EXISTS: --out old.enc already exists; pass --force to replace it");
    expect(read("old.enc").toString()).toBe("previous ciphertext");
    expect(extraFiles()).toEqual(["old.enc"]);

    rmSync(join(dir, "old.enc"));
    write("old.enc.encryptiondata.json", "previous metadata");
    const metadataOnly = await encrypt("old.enc");
    expect(metadataOnly.code).toBe(2);
    expect(metadataOnly.stderr).toContain("OUTPUT_EXISTS: metadata output old.enc.encryptiondata.json already exists; pass --force to replace it");
    expect(read("old.enc.encryptiondata.json").toString()).toBe("previous metadata");
    expect(extraFiles()).toEqual(["old.enc.encryptiondata.json"]);

    write("old.out", "previous plaintext");
    const dec = await decrypt("data.enc", "old.out");
    expect(dec.code).toBe(2);
    expect(dec.stderr).toContain("OUTPUT_EXISTS: --out old.out already exists; pass --force to replace it");
    expect(read("old.out").toString()).toBe("previous plaintext");
  });

  it("with --force: both encrypt outputs are replaced and decrypt to the input; decrypt replaces its output", async () => {
    write("old.enc", "previous ciphertext");
    write("old.enc.encryptiondata.json", "previous metadata");
    const run = await encrypt("old.enc", "--force");
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(read("old.enc.encryptiondata.json").toString()).WrappedContentKey.KeyId).toBe(KEY_ID);
    write("old.out", "previous plaintext");
    const dec = await cleanroom("decrypt", "old.enc", "--key", "kek.pem", "--metadata", "old.enc.encryptiondata.json", "--out", "old.out", "--force");
    expect(dec.code, dec.stderr).toBe(0);
    expect(read("old.out").equals(plaintext)).toBe(true);
    // The plaintext may be read only by its owner, replaced file or not.
    expect(statSync(join(dir, "old.out")).mode & 0o777).toBe(0o600);
    expect(extraFiles()).toEqual(["old.enc", "old.enc.encryptiondata.json", "old.out"]);
  });
});

describe("an output that is a symbolic link is refused, also with --force", () => {
  it("leaves the link and the file it points to as they were (data path and metadata path)", async () => {
    write("precious.txt", "someone else's file");
    symlinkSync("precious.txt", join(dir, "link.enc"));
    const run = await encrypt("link.enc", "--force");
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      "cleanroom: OUTPUT_IS_SYMLINK: --out link.enc is a symbolic link; refusing to write through it (also with --force), name the file itself",
    );
    rmSync(join(dir, "link.enc"));
    symlinkSync("precious.txt", join(dir, "link.enc.encryptiondata.json"));
    const metadata = await encrypt("link.enc", "--force");
    expect(metadata.code).toBe(2);
    expect(metadata.stderr).toContain("OUTPUT_IS_SYMLINK: metadata output link.enc.encryptiondata.json is a symbolic link");
    const dec = await decrypt("data.enc", "link.enc.encryptiondata.json", "--force");
    expect(dec.code).toBe(2);
    expect(dec.stderr).toContain("OUTPUT_IS_SYMLINK: --out link.enc.encryptiondata.json is a symbolic link");
    expect(read("precious.txt").toString()).toBe("someone else's file");
    expect(lstatSync(join(dir, "link.enc.encryptiondata.json")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, "link.enc.encryptiondata.json"))).toBe("precious.txt");
    expect(extraFiles()).toEqual(["link.enc.encryptiondata.json", "precious.txt"]);
  });

  it("a dangling link is refused too (writing through it would create its target)", async () => {
    symlinkSync("elsewhere.txt", join(dir, "dangling.out"));
    const run = await decrypt("data.enc", "dangling.out", "--force");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("OUTPUT_IS_SYMLINK");
    expect(extraFiles()).toEqual(["dangling.out"]);
  });
});

describe("a failed decrypt leaves no output and no temporary file", () => {
  const tampered = (): Buffer => {
    const ciphertext = Buffer.from(read("data.enc"));
    ciphertext[1000] = (ciphertext[1000] ?? 0) ^ 0x01;
    return ciphertext;
  };

  it("tampered or truncated ciphertext: exit 1, nothing at --out", async () => {
    write("tampered.enc", tampered());
    const run = await decrypt("tampered.enc", "result.csv");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("AUTH_TAG_MISMATCH");
    expect(extraFiles()).toEqual(["tampered.enc"]);

    write("truncated.enc", read("data.enc").subarray(0, 150_000));
    const cut = await decrypt("truncated.enc", "result.csv");
    expect(cut.code).toBe(1);
    expect(extraFiles()).toEqual(["tampered.enc", "truncated.enc"]);
  });

  it("with --force, the previous file stays byte for byte (tampered, truncated, wrong key)", async () => {
    write("result.csv", "last week's result");
    write("tampered.enc", tampered());
    write("truncated.enc", read("data.enc").subarray(0, 150_000));
    write("other.pem", generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs8" }));
    const runs = [
      await decrypt("tampered.enc", "result.csv", "--force"),
      await decrypt("truncated.enc", "result.csv", "--force"),
      await cleanroom("decrypt", "data.enc", "--key", "other.pem", "--metadata", "data.enc.encryptiondata.json", "--out", "result.csv", "--force"),
    ];
    expect(runs.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(read("result.csv").toString()).toBe("last week's result");
    expect(extraFiles()).toEqual(["other.pem", "result.csv", "tampered.enc", "truncated.enc"]);
  });
});

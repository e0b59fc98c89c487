/**
 * writeOutputs (enclave-app/src/cli/safe-output.ts) in process: several outputs appear together or
 * not at all, also when the failure comes after the work (a file appearing meanwhile, a failed
 * rename of the second output). The rename failure cannot be provoked on a real filesystem as root,
 * so `rename` and `link` are wrapped and made to fail for one target.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeOutputs, type OutputPlan } from "../../enclave-app/src/cli/safe-output.ts";

vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return { ...actual, rename: vi.fn(actual.rename), link: vi.fn(actual.link) };
});

const root = mkdtempSync(join(tmpdir(), "cleanroom-safe-commit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dir: string;
let counter = 0;
beforeEach(() => {
  dir = join(root, String((counter += 1)));
  mkdirSync(dir);
});
// Back to the real rename (vitest's mockReset restores the implementation given to vi.fn).
afterEach(() => {
  vi.mocked(fsp.rename).mockReset();
  vi.mocked(fsp.link).mockReset();
});

const at = (name: string): string => join(dir, name);
const plan = (force: boolean): OutputPlan => ({
  outputs: [
    { path: at("data.enc"), label: "--out" },
    { path: at("data.enc.encryptiondata.json"), label: "metadata output" },
  ],
  inputs: [],
  force,
});
const produceBoth = async ([data, metadata]: NodeJS.WritableStream[]): Promise<string> => {
  data!.end("new ciphertext");
  metadata!.end("new metadata");
  return "done";
};

/** Fails moving the finished temporary file onto `target`, as an I/O error would. */
function failRenameOnto(target: string): void {
  const actual = vi.mocked(fsp.rename).getMockImplementation()!;
  vi.mocked(fsp.rename).mockImplementation(async (from, to) => {
    if (to === target && String(from).endsWith(".tmp")) throw Object.assign(new Error("simulated"), { code: "EIO" });
    return actual(from, to);
  });
}

describe("writeOutputs publishes all outputs or none", () => {
  it("publishes both on success, and leaves no temporary or backup file", async () => {
    expect(await writeOutputs(plan(false), produceBoth)).toBe("done");
    expect(readFileSync(at("data.enc"), "utf8")).toBe("new ciphertext");
    expect(readFileSync(at("data.enc.encryptiondata.json"), "utf8")).toBe("new metadata");
    expect(readdirSync(dir).sort()).toEqual(["data.enc", "data.enc.encryptiondata.json"]);
  });

  it("a failure while writing the second output leaves neither file", async () => {
    const failing = async ([data, metadata]: NodeJS.WritableStream[]): Promise<void> => {
      data!.end("new ciphertext");
      metadata!.write("half of the metad");
      throw new Error("disk full");
    };
    await expect(writeOutputs(plan(false), failing)).rejects.toThrow("disk full");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a file that appears at an output while the command runs is neither clobbered nor joined by the other output", async () => {
    const racing = async (streams: NodeJS.WritableStream[]): Promise<void> => {
      writeFileSync(at("data.enc.encryptiondata.json"), "written by someone else meanwhile");
      await produceBoth(streams);
    };
    await expect(writeOutputs(plan(false), racing)).rejects.toMatchObject({ code: "OUTPUT_EXISTS" });
    expect(readdirSync(dir)).toEqual(["data.enc.encryptiondata.json"]);
    expect(readFileSync(at("data.enc.encryptiondata.json"), "utf8")).toBe("written by someone else meanwhile");
  });

  it("with --force, a failed rename of the second output restores the first output's previous file", async () => {
    writeFileSync(at("data.enc"), "old ciphertext");
    writeFileSync(at("data.enc.encryptiondata.json"), "old metadata");
    failRenameOnto(at("data.enc.encryptiondata.json"));
    await expect(writeOutputs(plan(true), produceBoth)).rejects.toMatchObject({
      code: "OUTPUT_UNWRITABLE",
      message: `cannot move the output into place at ${at("data.enc.encryptiondata.json")}: EIO`,
    });
    expect(readFileSync(at("data.enc"), "utf8")).toBe("old ciphertext");
    expect(readFileSync(at("data.enc.encryptiondata.json"), "utf8")).toBe("old metadata");
    expect(readdirSync(dir).sort()).toEqual(["data.enc", "data.enc.encryptiondata.json"]);
  });

  it("with --force and no previous files, a failed rename of the second output withdraws the first", async () => {
    failRenameOnto(at("data.enc.encryptiondata.json"));
    await expect(writeOutputs(plan(true), produceBoth)).rejects.toMatchObject({ code: "OUTPUT_UNWRITABLE" });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("without --force, a failed publication of the second output withdraws the first", async () => {
    const actual = vi.mocked(fsp.link).getMockImplementation()!;
    vi.mocked(fsp.link).mockImplementation(async (from, to) => {
      if (to === at("data.enc.encryptiondata.json")) throw Object.assign(new Error("simulated"), { code: "EIO" });
      return actual(from, to);
    });
    await expect(writeOutputs(plan(false), produceBoth)).rejects.toMatchObject({ code: "OUTPUT_UNWRITABLE" });
    expect(readdirSync(dir)).toEqual([]);
  });
});

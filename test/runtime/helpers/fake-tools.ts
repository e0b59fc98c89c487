// Executable wrappers around the fake CVM tools in test/fixtures/runtime, so the adapter runs them as
// it runs the real binaries: a path, argv, no shell. The wrapper pins the Node that runs vitest.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const FIXTURES = resolve(import.meta.dirname, "..", "..", "fixtures", "runtime");

export interface FakeTools {
  dir: string;
  skrPath: string;
  attestationClientPath: string;
  logPath: string;
  cleanup(): Promise<void>;
}

export async function installFakeTools(): Promise<FakeTools> {
  const dir = await mkdtemp(join(tmpdir(), "cleanroom-fake-tools-"));
  const wrap = async (name: string, fixture: string) => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\nexec "${process.execPath}" "${join(FIXTURES, fixture)}" "$@"\n`);
    await chmod(path, 0o755);
    return path;
  };
  return {
    dir,
    skrPath: await wrap("AzureAttestSKR", "fake-azure-attest-skr.mjs"),
    attestationClientPath: await wrap("AttestationClient", "fake-attestation-client.mjs"),
    logPath: join(dir, "calls.jsonl"),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

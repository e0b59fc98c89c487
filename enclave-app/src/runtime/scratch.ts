// The memory-backed scratch directory holds decrypted inputs and DuckDB's temp files while a run
// computes. It belongs to the enclave, one run at a time (the Job's emptyDir, the demo's own
// directory). A run removes its files when it ends, but a killed run (SIGKILL, OOM kill, a
// container restart) runs no `finally`: so every run also empties the directory when it starts,
// before it reads a contract, and decrypted plaintext never outlives the next start.
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/** Creates the scratch directory if needed (mode 0700) and removes everything inside it. */
export async function wipeScratch(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
}

/** This run's own directory below the scratch directory. */
export async function createRunScratch(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return mkdtemp(join(dir, "run-"));
}

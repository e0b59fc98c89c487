/** Vitest fixture: one Azurite per test file, stopped (and its temp dir removed) after the file. */
import { afterAll, beforeAll } from "vitest";
import { startAzurite, type AzuriteInstance } from "../../enclave-app/src/local/azurite.ts";

export function useAzurite(opts: { enabled?: () => boolean } = {}): () => AzuriteInstance {
  let instance: AzuriteInstance | undefined;
  beforeAll(async () => {
    if (opts.enabled !== undefined && !opts.enabled()) return;
    instance = await startAzurite();
  });
  afterAll(async () => {
    await instance?.stop();
  });
  return () => {
    if (instance === undefined) throw new Error("Azurite is not running (fixture disabled or failed to start)");
    return instance;
  };
}

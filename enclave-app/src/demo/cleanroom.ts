import { mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAttestationAuthority, type LocalAttestationAuthority } from "../local/attestation-authority.ts";
import { startAzurite, type AzuriteInstance } from "../local/azurite.ts";
import { createLocalCa, type LocalCa } from "../local/ca.ts";
import { startLocalKeyVault, type LocalKeyVault } from "../local/key-vault.ts";

/**
 * The principal the enclave authenticates to Key Vault as. In confidential-node mode that is the
 * AKS kubelet identity (AzureAttestSKR can only use IMDS), which is what the components grant the
 * release role to; the demo uses the same name so the wiring reads the same.
 */
export const ENCLAVE_PRINCIPAL = "cleanroom-kubelet-identity";

/** The whole local clean room: one CA, the storage emulator, the attestation authority and one vault per party. */
export interface LocalCleanRoom {
  workDir: string;
  /** Memory-backed when the OS offers /dev/shm, so decrypted data stays off disk as in the enclave. */
  scratchDir: string;
  ca: LocalCa;
  azurite: AzuriteInstance;
  authority: LocalAttestationAuthority;
  vaults: Map<string, LocalKeyVault>;
  close(): Promise<void>;
}

/**
 * Starts everything on loopback. Each party gets its own Key Vault stand-in, as each real party
 * keeps its key in its own vault (possibly its own subscription). If any server fails to start,
 * the ones already running are stopped before the error propagates.
 */
export async function startLocalCleanRoom(partyNames: readonly string[]): Promise<LocalCleanRoom> {
  const workDir = await mkdtemp(join(tmpdir(), "cleanroom-demo-"));
  const scratchDir = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : workDir, "cleanroom-scratch-"));
  const closers: (() => Promise<void>)[] = [];
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      for (const closer of closers.reverse()) await closer().catch(() => undefined);
      await rm(scratchDir, { recursive: true, force: true });
      await rm(workDir, { recursive: true, force: true });
    })();
    return closed;
  };
  try {
    const ca = await createLocalCa();
    const [azuriteStart, authorityStart] = await Promise.allSettled([startAzurite({ workDir }), startAttestationAuthority({ ca })]);
    if (azuriteStart.status === "fulfilled") closers.push(() => azuriteStart.value.stop());
    if (authorityStart.status === "fulfilled") closers.push(() => authorityStart.value.close());
    if (azuriteStart.status === "rejected") throw azuriteStart.reason;
    if (authorityStart.status === "rejected") throw authorityStart.reason;
    const azurite = azuriteStart.value;
    const authority = authorityStart.value;
    const vaults = new Map<string, LocalKeyVault>();
    for (const party of partyNames) {
      const vault = await startLocalKeyVault({ ca, trustedAuthorities: [authority.url] });
      closers.push(() => vault.close());
      vaults.set(party, vault);
    }
    return { workDir, scratchDir, ca, azurite, authority, vaults, close };
  } catch (err) {
    await close();
    throw err;
  }
}

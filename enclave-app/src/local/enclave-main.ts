// The enclave Job's entry point for the local clean room: the runtime's main() with the local Key
// Vault clients handed in (the runtime does not import this folder, which the enclave image leaves
// out). Same environment variables as enclave-app/src/runtime/main.ts, with CLEANROOM_ATTESTER=local.
import type { LocalKeyVaultAccess } from "../runtime/adapters.ts";
import { main } from "../runtime/main.ts";
import { localCredential, localKeyClient } from "./local-clients.ts";

/** KeyClients for the Key Vault stand-ins: trust in the local CA scoped to each client, a local principal. */
export const localKeyVaultAccess: LocalKeyVaultAccess = {
  keyClient: (vault, principal) => localKeyClient(vault, localCredential(principal)),
};

export function localEnclaveMain(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return main(env, { localKeyVault: localKeyVaultAccess });
}

// Run when executed directly (not when imported by tests).
if (import.meta.main) {
  process.exitCode = await localEnclaveMain();
}

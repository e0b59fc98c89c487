// --tamper-policy, second half: the enclave runtime refuses on its own before asking any vault, but
// an enclave started with another policy may run any code, including code that skips that check.
// This asks every party's vault directly with such an enclave's token, as that code would, to show
// that the parties' release policies (x-ms-sevsnpvm-hostdata pinned) are what actually keeps the keys.
import { parseKeyVaultKeyId, type Contract } from "../protocol/index.ts";
import { localCredential, localKeyClient } from "../local/local-clients.ts";
import { LocalAttester } from "../runtime/attest/local.ts";
import { ENCLAVE_PRINCIPAL, type LocalCleanRoom } from "./cleanroom.ts";

export interface VaultAnswer {
  party: string;
  /** False is the expected outcome: the vault refused. */
  released: boolean;
  status?: number;
  /** The vault's refusal (names the failing claim). */
  message: string;
}

export async function askVaultsDirectly(opts: { room: LocalCleanRoom; contract: Contract; ccePolicy: string }): Promise<VaultAnswer[]> {
  const { room, contract } = opts;
  const attester = new LocalAttester({ authority: { url: room.authority.url, caCertPem: room.ca.certPem }, mode: contract.attestation.mode, ccePolicy: opts.ccePolicy });
  const { token } = await attester.attest({});
  const credential = localCredential(ENCLAVE_PRINCIPAL);
  const answers: VaultAnswer[] = [];
  for (const party of contract.parties) {
    if (!contract.datasets.some((d) => d.owner === party.name)) continue;
    const key = parseKeyVaultKeyId(party.kek.keyId);
    const client = localKeyClient({ url: key.vaultUrl, caCertPem: room.ca.certPem }, credential);
    try {
      // A release here would be a failure of the demo; the signed response is dropped unread.
      await client.releaseKey(key.name, token, { algorithm: "RSA_AES_KEY_WRAP_256", ...(key.version !== undefined ? { version: key.version } : {}) });
      answers.push({ party: party.name, released: true, message: "the vault RELEASED the key" });
    } catch (err) {
      const status = (err as { statusCode?: unknown }).statusCode;
      answers.push({ party: party.name, released: false, ...(typeof status === "number" ? { status } : {}), message: err instanceof Error ? err.message : String(err) });
    }
  }
  return answers;
}

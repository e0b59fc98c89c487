import { buildReleasePolicy, encodeReleasePolicy, kekKeyNameFromDigest, releasePolicyDigest, type AttestationRequirements } from "../protocol/index.ts";
import type { LocalKeyVault } from "../local/key-vault.ts";
import { localCredential, localKeyClient } from "../local/local-clients.ts";
import { KEK_BITS, type DemoParty } from "./parties.ts";

const RSA_PRIVATE_MEMBERS = ["n", "e", "d", "p", "q", "dp", "dq", "qi"] as const;

export interface ProvisionedKek {
  party: string;
  keyName: string;
  keyId: string;
  policyDigest: string;
}

/**
 * What the PartyVault component does for a party, done against its local vault as that party's
 * admin: an exportable RSA-HSM 3072 key carrying the release policy the components would attach,
 * then the release role on that key (and nothing else) for the enclave's principal.
 *
 * The key is imported rather than generated inside the vault only because the demo also plays
 * each party as a result recipient and must be able to decrypt locally; a real party creates the
 * key in its vault and decrypts results with Key Vault's unwrapKey (or `cleanroom decrypt`).
 */
export async function provisionPartyKek(opts: {
  party: DemoParty;
  vault: LocalKeyVault;
  attestation: AttestationRequirements;
  enclavePrincipal: string;
}): Promise<ProvisionedKek> {
  const { party, vault } = opts;
  const policy = buildReleasePolicy(opts.attestation);
  const digest = releasePolicyDigest(policy);
  // Named as the PartyVault component names it: a new release policy means a new key name.
  const keyName = kekKeyNameFromDigest(party.name, KEK_BITS, digest);
  const admin = localKeyClient(vault, localCredential(`${party.name}-admin`));
  const jwk = party.kek.privateKey.export({ format: "jwk" });
  const material = Object.fromEntries(RSA_PRIVATE_MEMBERS.map((m) => [m, Buffer.from(String(jwk[m]), "base64url")]));
  const key = await admin.importKey(
    keyName,
    { kty: "RSA-HSM", keyOps: ["wrapKey", "unwrapKey", "encrypt", "decrypt"], ...material },
    {
      hardwareProtected: true,
      exportable: true,
      releasePolicy: { encodedPolicy: Buffer.from(encodeReleasePolicy(policy).data, "base64url"), immutable: true },
    },
  );
  vault.grantRelease(keyName, opts.enclavePrincipal);
  if (key.id === undefined) throw new Error(`The vault of "${party.name}" returned no key id for ${keyName}.`);
  party.kek.keyId = key.id;
  return { party: party.name, keyName, keyId: key.id, policyDigest: digest };
}

import { generateKeyPair, type JsonWebKey, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type { ScenarioParty } from "./scenarios/index.ts";

const generateKeyPairAsync = promisify(generateKeyPair);

/** The KEK size the PartyVault component creates (RSA-HSM >= 3072). */
export const KEK_BITS = 3072;

/**
 * Everything one party holds in the demo. In a real collaboration the signing key stays on the
 * party's laptop or HSM and the KEK's private half exists only inside its Key Vault; here the
 * demo plays every party, so it holds both in memory for the length of the run.
 */
export interface DemoParty {
  name: string;
  label: string;
  signing: { privateKey: KeyObject; publicJwk: JsonWebKey };
  kek: {
    privateKey: KeyObject;
    publicKey: KeyObject;
    publicJwk: JsonWebKey;
    /** Set once the key exists in the party's vault: https://<vault>/keys/<name>/<version>. */
    keyId?: string;
  };
}

/** Generates each party's approval signing key (EC P-256) and RSA KEK material, in parallel. */
export async function createPartyKeys(parties: readonly ScenarioParty[]): Promise<DemoParty[]> {
  return Promise.all(
    parties.map(async (party) => {
      const [signing, kek] = await Promise.all([
        generateKeyPairAsync("ec", { namedCurve: "P-256" }),
        generateKeyPairAsync("rsa", { modulusLength: KEK_BITS, publicExponent: 0x10001 }),
      ]);
      return {
        name: party.name,
        label: party.label,
        signing: { privateKey: signing.privateKey, publicJwk: signing.publicKey.export({ format: "jwk" }) },
        kek: { privateKey: kek.privateKey, publicKey: kek.publicKey, publicJwk: kek.publicKey.export({ format: "jwk" }) },
      };
    }),
  );
}

export function partyByName(parties: readonly DemoParty[], name: string): DemoParty {
  const party = parties.find((p) => p.name === name);
  if (!party) throw new Error(`No party named "${name}" in this scenario.`);
  return party;
}

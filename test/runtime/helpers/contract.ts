// Small valid contracts and parties for runtime tests (keys generated per test file).
import { generateKeyPairSync, type JsonWebKey, type KeyObject } from "node:crypto";
import type { Contract, DatasetSpec, IsolationMode } from "../../../enclave-app/src/protocol/index.ts";

export interface TestParty {
  name: string;
  signing: { privateKey: KeyObject; publicJwk: JsonWebKey };
  kek: { privateKey: KeyObject; publicJwk: JsonWebKey; keyId: string };
}

export function makeParty(name: string, keyId = `https://${name}.vault.azure.net/keys/${name}-kek/00000000000000000000000000000001`): TestParty {
  const signing = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kek = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    name,
    signing: { privateKey: signing.privateKey, publicJwk: signing.publicKey.export({ format: "jwk" }) },
    kek: { privateKey: kek.privateKey, publicJwk: kek.publicKey.export({ format: "jwk" }), keyId },
  };
}

export interface ContractOptions {
  parties: TestParty[];
  datasets: DatasetSpec[];
  sql: string;
  recipients: string[];
  authority: string;
  mode?: IsolationMode;
  hostdata?: string;
  minGroupSize?: number;
  countColumn?: string;
  allowedColumns?: string[];
  collaboration?: string;
}

export const TEST_IMAGE = `cleanroom.azurecr.io/enclave@sha256:${"ab".repeat(32)}`;

export function makeContract(opts: ContractOptions): Contract {
  const mode = opts.mode ?? "confidential-node";
  return {
    version: "1.0",
    collaboration: opts.collaboration ?? "runtime-test",
    parties: opts.parties.map((p) => ({ name: p.name, signingKey: p.signing.publicJwk, kek: { keyId: p.kek.keyId, publicKey: p.kek.publicJwk } })),
    datasets: opts.datasets,
    sql: opts.sql,
    privacy: { minGroupSize: opts.minGroupSize ?? 2, countColumn: opts.countColumn ?? "n", allowedColumns: opts.allowedColumns ?? ["region", "n", "total"] },
    recipients: opts.recipients,
    enclave: { image: TEST_IMAGE },
    attestation: { authority: opts.authority, mode, ...(mode === "confidential-container" ? { hostdata: opts.hostdata ?? "c".repeat(64) } : {}) },
  };
}

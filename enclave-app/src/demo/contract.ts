import {
  contractHash,
  parseContract,
  requiredApprovers,
  sha256Hex,
  signApproval,
  verifyApprovals,
  type ApprovalReport,
  type Approvals,
  type Contract,
} from "../protocol/index.ts";
import { partyByName, type DemoParty } from "./parties.ts";
import type { Scenario } from "./scenarios/index.ts";
import type { UploadedDataset } from "./upload.ts";

/**
 * The local clean room runs the enclave in-process, so there is no container image; the contract
 * still has to pin one (the schema demands a digest). The demo pins a fixed, clearly local name
 * whose digest is derived from a label, which no registry will ever serve.
 */
export const LOCAL_ENCLAVE_IMAGE = `localhost/cleanroom-enclave-local@sha256:${sha256Hex("cleanroom local demo enclave: not a container image")}`;

export function buildDemoContract(opts: {
  scenario: Scenario;
  parties: readonly DemoParty[];
  uploads: readonly UploadedDataset[];
  authorityUrl: string;
  /** confidential-container: the hostdata of the approved container policy (default: confidential-node). */
  containerHostdata?: string;
}): Contract {
  const { scenario, parties, uploads } = opts;
  const draft: Contract = {
    version: "1.0",
    collaboration: scenario.collaboration,
    parties: parties.map((p) => {
      if (p.kek.keyId === undefined) throw new Error(`Party "${p.name}" has no KEK id yet.`);
      return { name: p.name, signingKey: p.signing.publicJwk, kek: { keyId: p.kek.keyId, publicKey: p.kek.publicJwk } };
    }),
    datasets: uploads.map((u) => ({
      name: u.dataset.name,
      owner: u.dataset.owner,
      blobPath: u.blobPath,
      format: u.format,
      schema: u.dataset.schema,
      ciphertextSha256: u.ciphertextSha256,
      plaintextLength: u.plaintextLength,
    })),
    sql: scenario.sql,
    privacy: scenario.privacy,
    recipients: scenario.recipients,
    enclave: { image: LOCAL_ENCLAVE_IMAGE },
    attestation:
      opts.containerHostdata !== undefined
        ? { authority: opts.authorityUrl, mode: "confidential-container", hostdata: opts.containerHostdata }
        : { authority: opts.authorityUrl, mode: "confidential-node" },
  };
  // The same validation the enclave applies: a demo contract that would be refused fails here, by name.
  return parseContract(draft);
}

export interface SignedContract {
  contract: Contract;
  hash: string;
  approvals: Approvals;
  report: ApprovalReport;
}

/** Every dataset owner signs the contract hash with its own key, then the demo checks the set as the enclave will. */
export async function approveContract(contract: Contract, parties: readonly DemoParty[]): Promise<SignedContract> {
  const approvals: Approvals = {};
  for (const name of requiredApprovers(contract)) {
    approvals[name] = await signApproval(contract, name, partyByName(parties, name).signing.privateKey);
  }
  const report = await verifyApprovals(contract, approvals);
  if (!report.ok) {
    throw new Error(`Approvals do not verify: missing [${report.missing.join(", ")}], invalid [${report.invalid.map((i) => `${i.party}: ${i.reason}`).join("; ")}].`);
  }
  return { contract, hash: contractHash(contract), approvals, report };
}

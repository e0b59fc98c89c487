// The two example collaborations, as stack config (phase 2: keys, digests and — added by the
// generator — approvals). Party keys are test-only and come from test/fixtures/stacks/*.test-only.json;
// everything else is deterministic, so regenerating changes nothing unless the example changes.
// What the parties agree on (SQL, dataset names, owners and schemas, privacy rules, recipients) is
// the demo scenarios' definition, imported from its data-free modules: one source for both. Only
// this generator may import the demo; the program (stacks/index.ts, program.ts, config.ts) never does.
import { createHash, type JsonWebKey } from "node:crypto";
import { PINNED_CONFCOM_VERSION } from "../../components/enclave-container-spec.ts";
import { fraudDefinition } from "../../enclave-app/src/demo/scenarios/fraud.ts";
import { rareDiseaseDefinition } from "../../enclave-app/src/demo/scenarios/rare-disease.ts";
import type { ScenarioDefinition } from "../../enclave-app/src/demo/scenarios/types.ts";
import { confcomInput } from "../../tools/cce-policy/confcom-input.ts";
import { stackGroupContainers } from "../../tools/cce-policy/stack-containers.ts";
import { parseStackConfig, toCleanRoomArgs } from "../config.ts";
import { placeholderCcePolicyRego } from "./placeholder-cce-policy.ts";
import { configToPulumiConfig } from "./stack-file.ts";

/** A GUID derived from a label: stable, obviously fake ids for principals, tenants and subscriptions. */
export function exampleGuid(label: string): string {
  const h = createHash("sha256").update(`cleanroom-example:${label}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Placeholder digest for an example dataset. A real one is printed by `cleanroom encrypt` for the
 * blob the party uploaded; the examples ship no ciphertext, so this is sha256 of a label.
 */
export function exampleDigest(label: string): string {
  return createHash("sha256").update(`cleanroom-example-ciphertext:${label}`).digest("hex");
}

/**
 * Placeholder x-ms-policy-hash of a dedicated attestation provider's policy. A real one is read from a
 * token the provider issued after its policy was set (docs/infrastructure.md, "Attestation").
 */
export function examplePolicyHash(label: string): string {
  return createHash("sha256").update(`cleanroom-example-attestation-policy:${label}`).digest("base64url");
}

/** Placeholder enclave image digest; a real deployment pins the digest its CI published. */
export const EXAMPLE_ENCLAVE_IMAGE = `ghcr.io/confidential-clean-room/enclave@sha256:${exampleDigest("enclave-image")}`;

export interface ExamplePartyKeys {
  signingKey: JsonWebKey;
  kekPublicKey: JsonWebKey;
}

export interface ExampleCollaboration {
  stack: string;
  title: string;
  /** Party name -> algorithm of its test-only approval key and size of its KEK. */
  parties: Record<string, { signing: "ES256" | "RS256"; keySize: 3072 | 4096 }>;
  config(keys: Record<string, ExamplePartyKeys>): Record<string, unknown>;
}

const NS = "confidential-clean-room";

function party(example: ExampleCollaboration, name: string, keys: ExamplePartyKeys, ipRange: string, extra: Record<string, unknown> = {}) {
  const stack = example.stack;
  return {
    name,
    keySize: example.parties[name]!.keySize,
    admins: [{ objectId: exampleGuid(`${stack}/${name}/admins`), type: "Group" }],
    uploaders: [{ objectId: exampleGuid(`${stack}/${name}/uploader`), type: "ServicePrincipal" }],
    resultReaders: [{ objectId: exampleGuid(`${stack}/${name}/analysts`), type: "Group" }],
    ipRanges: [ipRange],
    ...extra,
    signingKey: keys.signingKey,
    kekPublicKey: keys.kekPublicKey,
  };
}

/** Where the example keeps a dataset: everything the scenario definition does not say. */
interface ExamplePlacement {
  blobName: string;
  ciphertextSha256: string;
  plaintextLength: number;
}

/** The scenario's datasets as stack config, with the example's blob names, digests and lengths. */
function exampleDatasets(scenario: ScenarioDefinition, placements: Record<string, ExamplePlacement>) {
  return scenario.datasets.map((dataset) => {
    const placement = placements[dataset.name];
    if (!placement) throw new Error(`example for scenario "${scenario.id}" does not place dataset "${dataset.name}"`);
    return {
      name: dataset.name,
      owner: dataset.owner,
      blobName: placement.blobName,
      format: "csv",
      schema: dataset.schema,
      ciphertextSha256: placement.ciphertextSha256,
      plaintextLength: placement.plaintextLength,
    };
  });
}

export const fraudBankInsurer: ExampleCollaboration = {
  stack: "fraud-bank-insurer",
  title: `A bank and an insurer count, per region, customers flagged for card fraud who also filed a suspicious claim (k = ${fraudDefinition.privacy.minGroupSize}).`,
  parties: { bank: { signing: "ES256", keySize: 3072 }, insurer: { signing: "RS256", keySize: 3072 } },
  config(keys) {
    const s = this.stack;
    return {
      "azure-native:location": "westeurope",
      [`${NS}:collaboration`]: s,
      [`${NS}:location`]: "westeurope",
      [`${NS}:tenantId`]: exampleGuid(`${s}/tenant`),
      [`${NS}:clusterAdminGroupObjectIds`]: [exampleGuid(`${s}/platform-admins`)],
      [`${NS}:attestation`]: { kind: "dedicated", policyHash: examplePolicyHash(`${s}/attestation-policy`) },
      [`${NS}:enclaveImage`]: EXAMPLE_ENCLAVE_IMAGE,
      [`${NS}:parties`]: [party(this, "bank", keys.bank!, "203.0.113.0/24"), party(this, "insurer", keys.insurer!, "198.51.100.0/24")],
      [`${NS}:datasets`]: exampleDatasets(fraudDefinition, {
        bank_transactions: { blobName: "2025/transactions.csv.enc", ciphertextSha256: exampleDigest(`${s}/bank_transactions`), plaintextLength: 15_482_113 },
        insurer_claims: { blobName: "2025/claims.csv.enc", ciphertextSha256: exampleDigest(`${s}/insurer_claims`), plaintextLength: 14_903_557 },
      }),
      [`${NS}:sql`]: fraudDefinition.sql,
      [`${NS}:privacy`]: fraudDefinition.privacy,
      [`${NS}:recipients`]: fraudDefinition.recipients,
      [`${NS}:cluster`]: {
        enclavePool: { vmSize: "Standard_DC4as_v5", minCount: 1, maxCount: 2 },
        apiServerAuthorizedIpRanges: ["203.0.113.0/24", "198.51.100.0/24"],
      },
      [`${NS}:workload`]: { activeDeadlineSeconds: 3600 },
      [`${NS}:tags`]: { "cost-center": "fraud-analytics", environment: "production" },
    };
  },
};

export const rareDiseaseHospitals: ExampleCollaboration = {
  stack: "rare-disease-hospitals",
  title: `Three hospitals count distinct patients per rare diagnosis and age band (k = ${rareDiseaseDefinition.privacy.minGroupSize}); hospital C keeps its vault in its own subscription.`,
  parties: {
    "hospital-a": { signing: "ES256", keySize: 3072 },
    "hospital-b": { signing: "ES256", keySize: 4096 },
    "hospital-c": { signing: "ES256", keySize: 3072 },
  },
  config(keys) {
    const s = this.stack;
    const tenant = exampleGuid(`${s}/tenant`);
    return {
      "azure-native:location": "northeurope",
      [`${NS}:collaboration`]: s,
      [`${NS}:location`]: "northeurope",
      [`${NS}:tenantId`]: tenant,
      [`${NS}:clusterAdminGroupObjectIds`]: [exampleGuid(`${s}/platform-admins`)],
      [`${NS}:attestation`]: { kind: "shared" },
      [`${NS}:enclaveImage`]: EXAMPLE_ENCLAVE_IMAGE,
      [`${NS}:parties`]: [
        party(this, "hospital-a", keys["hospital-a"]!, "192.0.2.0/24"),
        party(this, "hospital-b", keys["hospital-b"]!, "203.0.113.64/26"),
        party(this, "hospital-c", keys["hospital-c"]!, "198.51.100.128/25", {
          subscriptionId: exampleGuid(`${s}/hospital-c/subscription`),
          tenantId: tenant,
        }),
      ],
      [`${NS}:datasets`]: exampleDatasets(
        rareDiseaseDefinition,
        Object.fromEntries(
          rareDiseaseDefinition.datasets.map((dataset, i) => [
            dataset.name,
            { blobName: "rare-disease-registry.csv.enc", ciphertextSha256: exampleDigest(`${s}/${dataset.owner}`), plaintextLength: 3_950_000 + i * 41_337 },
          ]),
        ),
      ),
      [`${NS}:sql`]: rareDiseaseDefinition.sql,
      [`${NS}:privacy`]: rareDiseaseDefinition.privacy,
      [`${NS}:recipients`]: rareDiseaseDefinition.recipients,
      [`${NS}:cluster`]: { enclavePool: { vmSize: "Standard_DC8as_v5", minCount: 0, maxCount: 1 }, upgradeChannel: "stable" },
      [`${NS}:storage`]: { skuName: "Standard_ZRS", deleteRetentionDays: 90 },
      [`${NS}:workload`]: {
        resources: { cpu: "7", memoryMiB: 24576, scratchMiB: 8192 },
        activeDeadlineSeconds: 7200,
      },
      [`${NS}:tags`]: { "data-classification": "special-category-health", environment: "production" },
    };
  },
};

/**
 * The example's container security policy: a PLACEHOLDER rendered from the confcom input that
 * tools/cce-policy derives from this very config (placeholder-cce-policy.ts). A real stack runs
 * `npm run cce-policy -- --stack <name>`, then the az confcom command it prints, and checks the
 * result in as enclave.ccePolicy; the hostdata, release policies, key names, contract and approvals
 * all follow from it.
 */
export function exampleCcePolicy(config: Record<string, unknown>): string {
  const args = toCleanRoomArgs(parseStackConfig(configToPulumiConfig(config)));
  const rego = placeholderCcePolicyRego(confcomInput(stackGroupContainers(args)));
  return Buffer.from(rego, "utf8").toString("base64");
}

/** Placeholder SKR sidecar digest; a real deployment pins the mcr.microsoft.com/aci/skr digest its policy was generated for. */
export const EXAMPLE_SKR_SIDECAR_IMAGE = `mcr.microsoft.com/aci/skr@sha256:${exampleDigest("skr-sidecar-image")}`;

/** The fraud collaboration in confidential-container mode: a Confidential ACI group, no cluster. */
export const fraudBankInsurerAci: ExampleCollaboration = {
  stack: "fraud-bank-insurer-aci",
  title: `${fraudBankInsurer.title} Confidential-container variant: the enclave runs as a Confidential ACI container group whose policy hash every key pins.`,
  parties: fraudBankInsurer.parties,
  config(keys) {
    const {
      [`${NS}:cluster`]: _cluster,
      [`${NS}:workload`]: _workload,
      [`${NS}:clusterAdminGroupObjectIds`]: _admins,
      ...rest
    } = fraudBankInsurer.config.call(this, keys);
    const enclave = { skrSidecarImage: EXAMPLE_SKR_SIDECAR_IMAGE, confcomVersion: PINNED_CONFCOM_VERSION, runAttempt: 1 };
    const config = { ...rest, [`${NS}:isolationMode`]: "confidential-container", [`${NS}:enclave`]: enclave };
    return { ...config, [`${NS}:enclave`]: { ccePolicy: exampleCcePolicy(config), ...enclave } };
  },
};

export const EXAMPLES: readonly ExampleCollaboration[] = [fraudBankInsurer, rareDiseaseHospitals, fraudBankInsurerAci];

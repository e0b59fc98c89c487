// Everything about a clean room that can be known before deployment, as plain data: physical names,
// the attestation endpoint, each party's release policy, key name and versionless key id, and — once
// every party has supplied its public keys and every dataset its digests — the contract itself.
// The CleanRoom component, the stack program and the example generator all derive these from the
// same function, so the contract the parties sign is byte-for-byte the one the program deploys.
import type { JsonWebKey } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import {
  azureTagNameProblem,
  azureTagValueProblem,
  COLLABORATION_TAG,
  PARTY_TAG,
  POLICY_HASH,
  ccePolicyHostdata,
  contractHash,
  validateContract,
  type AttestationRequirements,
  type ColumnSpec,
  type DatasetAnalysis,
  type Contract,
  type IsolationMode,
  type PrivacyRules,
} from "../enclave-app/src/protocol/index.ts";
import { expectedAttestationEndpoint, validateAttestationArgs, type AttestationChoice } from "./attestation.ts";
import { enclaveTee, validateConfidentialClusterArgs, type ConfidentialClusterArgs } from "./cluster.ts";
import {
  attestationProviderName,
  blobEndpoint,
  clusterName,
  identityName,
  inputContainerName,
  NAME_RULES,
  namingContext,
  nodeResourceGroupName,
  OUTPUT_CONTAINER_NAME,
  resourceGroupName,
  storageAccountName,
  vaultName,
  vnetName,
  type NamingContext,
} from "./naming.ts";
import { validateNetworkArgs } from "./network.ts";
import { planKek, validatePartyVaultArgs, type KekPlan } from "./party-vault.ts";
import type { PrincipalRef } from "./roles.ts";
import { validateSharedStorageArgs } from "./storage.ts";
import { IssueList, isGuid, throwIfIssues, type ValidationIssue } from "./validation.ts";
import type { EnclaveWorkloadArgs } from "./workload.ts";
import { argsPathOfContractPath, buildContract } from "./contract-from-args.ts";
import { PINNED_CONFCOM_VERSION } from "./enclave-container-spec.ts";
import { enclaveContainerGroupName, validateEnclaveContainerOptions, type EnclaveContainerOptions } from "./enclave-container-group.ts";
import { isVerifiedFor, type VerifiedApprovals } from "./approvals.ts";

export interface CleanRoomPartyArgs {
  /** ^[a-z][a-z0-9-]{1,22}$ without "--" or a trailing "-". */
  name: string;
  /** Tenant of the party's vault subscription; defaults to the collaboration tenant. */
  tenantId?: string;
  /** Key Vault Crypto Officer on the party's vault. */
  admins: PrincipalRef[];
  /** Storage Blob Data Contributor on the party's input container, Key Vault Crypto User on its key. */
  uploaders: PrincipalRef[];
  /** Storage Blob Data Reader on the output container when the party is a recipient; defaults to uploaders. */
  resultReaders?: PrincipalRef[];
  /** The party's public IPv4 ranges, allowed through the vault and storage firewalls. */
  ipRanges?: string[];
  /** An azure-native Provider for the party's own subscription: its vault, key and their role assignments use it. */
  provider?: pulumi.ProviderResource;
  /** Override of the derived vault name (3-24 chars). */
  vaultName?: string;
  /** 3072 (default) or 4096. */
  keySize?: number;
  /** Phase 2: the public key that verifies this party's approval (EC P-256 or RSA >= 2048, JWK). */
  signingKey?: JsonWebKey;
  /** Phase 2: the public part of the party's Key Vault key (downloaded after phase 1). */
  kekPublicKey?: JsonWebKey;
}

export interface CleanRoomDatasetArgs {
  /** SQL table name ^[a-z_][a-z0-9_]{0,62}$. */
  name: string;
  owner: string;
  /** Blob name inside the owner's input container. */
  blobName: string;
  format: "csv" | "parquet";
  schema: ColumnSpec[];
  /** Phase 2: sha256 of the uploaded ciphertext. */
  ciphertextSha256?: string;
  /** Phase 2: plaintext byte length. */
  plaintextLength?: number;
  /** The owner's analysis rules (enforced mode, see docs/protocol.md); checked by the contract's rules. */
  analysis?: DatasetAnalysis;
}

/** The ConfidentialCluster options a collaboration may set; the CleanRoom derives the rest (names, network, identities). */
export type CleanRoomClusterOptions = Pick<
  ConfidentialClusterArgs,
  "kubernetesVersion" | "systemPool" | "enclavePool" | "networkPolicy" | "upgradeChannel" | "apiServerAuthorizedIpRanges" | "kubeloginMode"
>;

/** The EnclaveWorkload options a collaboration may set; the CleanRoom derives the rest (contract, storage, identities). */
export type CleanRoomWorkloadOptions = Pick<
  EnclaveWorkloadArgs,
  "resources" | "activeDeadlineSeconds" | "backoffLimit" | "ttlSecondsAfterFinished" | "attempt" | "namespace"
>;

export interface CleanRoomArgs {
  /** Lowercase letters, digits and single hyphens, 3-40 chars: prefixes every resource name. */
  collaboration: string;
  /** Azure region with confidential VM capacity, e.g. "westeurope". */
  location: string;
  /** Entra tenant of the collaboration's subscription. */
  tenantId: string;
  /** Changes globally unique names (vaults, storage, attestation); default: the collaboration name. */
  namingSeed?: string;
  /**
   * Default "confidential-node" (AKS confidential node pool). "confidential-container" runs the
   * enclave as a Confidential ACI container group instead and creates no cluster; it needs `enclave`.
   */
  isolationMode?: IsolationMode;
  /** Confidential-container mode only: the container security policy, SKR sidecar and run attempt. */
  enclave?: EnclaveContainerOptions;
  /**
   * Default: the shared regional provider, whose attestation policy nobody can alter. A dedicated
   * provider's policy can be replaced by whoever holds control-plane rights on its subscription, so
   * it needs `policyHash` (the x-ms-policy-hash its tokens carry), pinned in every release policy.
   */
  attestation?: { kind: "dedicated"; providerName?: string; policyHash: string } | { kind: "shared" };
  parties: CleanRoomPartyArgs[];
  datasets: CleanRoomDatasetArgs[];
  sql: string;
  privacy: PrivacyRules;
  recipients: string[];
  /** <registry>/<repository>@sha256:<digest>. */
  enclaveImage: string;
  /** From verifyContractApprovals(); when present (and valid for the contract) the enclave workload is created. */
  approvals?: VerifiedApprovals;
  /** Entra groups administering the cluster (confidential-node mode; required there, refused in container mode). */
  clusterAdminGroupObjectIds?: string[];
  cluster?: CleanRoomClusterOptions;
  network?: { addressSpace?: string; nodeSubnetPrefix?: string };
  storage?: { accountName?: string; skuName?: "Standard_LRS" | "Standard_ZRS" | "Standard_GRS" | "Standard_GZRS"; deleteRetentionDays?: number };
  workload?: CleanRoomWorkloadOptions;
  tags?: Record<string, string>;
}

export interface PartyPlan {
  name: string;
  tenantId: string;
  vaultName: string;
  inputContainer: string;
  kek: KekPlan;
}

export type CleanRoomPhase = "awaiting-contract-inputs" | "awaiting-approvals" | "approved";

export interface CleanRoomPlan {
  naming: NamingContext;
  resourceGroupName: string;
  clusterName: string;
  nodeResourceGroupName: string;
  vnetName: string;
  storageAccountName: string;
  blobEndpoint: string;
  outputContainer: string;
  identities: { controlPlane: string; kubelet: string; workload: string };
  attestation: { choice: AttestationChoice; endpoint: string };
  attestationRequirements: AttestationRequirements;
  parties: PartyPlan[];
  /** Present once every party key and dataset digest is known. */
  contract?: Contract;
  contractHash?: string;
  /** What is still missing before the contract can be built (phase 1). */
  pendingContractInputs: string[];
  /** https://<account>.blob.core.windows.net/<output>/<contractHash>/ */
  resultLocation?: string;
  phase: CleanRoomPhase;
  /** Confidential-container mode, once the contract exists: the group's physical name. */
  enclaveContainerGroupName?: string;
}

/** A dedicated provider must come with the x-ms-policy-hash of its policy (43 base64url characters). */
export function dedicatedPolicyHashProblem(attestation: CleanRoomArgs["attestation"]): { rule: string; message: string } | undefined {
  if (attestation?.kind !== "dedicated") return undefined;
  const hash = (attestation as { policyHash?: unknown }).policyHash;
  if (hash === undefined) {
    return {
      rule: "policy-hash-required",
      message:
        "a dedicated attestation provider needs policyHash (the x-ms-policy-hash its tokens carry): whoever controls its subscription can replace its policy, so every release policy must pin it; or use { kind: \"shared\" }",
    };
  }
  if (typeof hash !== "string" || !POLICY_HASH.test(hash)) {
    return { rule: "bad-policy-hash", message: "policyHash must be the x-ms-policy-hash claim: 43 base64url characters" };
  }
  return undefined;
}

function attestationChoice(args: Pick<CleanRoomArgs, "attestation">, naming: NamingContext): AttestationChoice {
  const a = args.attestation ?? { kind: "shared" as const };
  return a.kind === "shared" ? { kind: "shared" } : { kind: "dedicated", providerName: a.providerName ?? attestationProviderName(naming) };
}

/**
 * The names and endpoints that follow from the collaboration alone (no keys, digests or policy yet):
 * what planCleanRoom builds on, and what tools/cce-policy fixes in the container policy before a
 * contract exists.
 */
export function planEndpoints(args: Pick<CleanRoomArgs, "collaboration" | "namingSeed" | "location" | "attestation" | "storage">): {
  naming: NamingContext;
  choice: AttestationChoice;
  endpoint: string;
  storageAccountName: string;
  blobEndpoint: string;
} {
  const naming = namingContext(args.collaboration, args.namingSeed);
  const choice = attestationChoice(args, naming);
  const account = args.storage?.accountName ?? storageAccountName(naming);
  return { naming, choice, endpoint: expectedAttestationEndpoint({ location: args.location, choice }), storageAccountName: account, blobEndpoint: blobEndpoint(account) };
}

/** Every problem with the arguments, including those of the components CleanRoom composes. */
export function validateCleanRoomArgs(args: CleanRoomArgs): ValidationIssue[] {
  const out = new IssueList();
  if (typeof args.collaboration !== "string" || !NAME_RULES.collaboration.test(args.collaboration)) {
    out.add("collaboration", "collaboration-name", `"${String(args.collaboration)}" must be 3-40 lowercase letters, digits and single hyphens, starting with a letter`);
    return out.items; // every derived name depends on it
  }
  const naming = namingContext(args.collaboration, args.namingSeed);
  if (!isGuid(args.tenantId)) out.add("tenantId", "guid", `"${String(args.tenantId)}" is not a tenant id (GUID)`);

  const mode = args.isolationMode ?? "confidential-node";
  if (mode === "confidential-container") {
    out.addUnder("enclave", validateEnclaveContainerOptions(args.enclave));
    // Nothing would read them: refusing them beats a config that silently means nothing.
    for (const key of ["clusterAdminGroupObjectIds", "cluster", "workload"] as const) {
      if (args[key] !== undefined) {
        out.add(key, "node-mode-only", `applies to isolationMode "confidential-node" only; confidential-container mode creates no AKS cluster or Job (size the enclave with enclave.resources)`);
      }
    }
  } else if (mode !== "confidential-node") {
    out.add("isolationMode", "enum", `must be "confidential-node" or "confidential-container"; got "${String(mode)}"`);
  } else if (args.enclave !== undefined) {
    out.add("enclave", "container-mode-only", 'enclave settings (ccePolicy, skrSidecarImage) apply to isolationMode "confidential-container" only; a confidential node has no container policy');
  }

  // Parties.
  const parties = Array.isArray(args.parties) ? args.parties : [];
  const vaultNames = new Map<string, string>();
  parties.forEach((p, i) => {
    const at = `parties[${i}]`;
    if (typeof p.name !== "string" || !NAME_RULES.party.test(p.name)) {
      out.add(`${at}.name`, "party-name", `"${String(p.name)}" must be 2-23 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen`);
      return;
    }
    if (p.tenantId !== undefined && !isGuid(p.tenantId)) out.add(`${at}.tenantId`, "guid", `"${String(p.tenantId)}" is not a tenant id (GUID)`);
    const vName = p.vaultName ?? vaultName(naming, p.name);
    const clash = vaultNames.get(vName);
    if (clash) out.add(`${at}.vaultName`, "duplicate-vault-name", `vault name "${vName}" is also used by party "${clash}"`);
    vaultNames.set(vName, p.name);
    const vaultIssues = validatePartyVaultArgs({
      party: p.name,
      resourceGroupName: "-",
      location: args.location,
      tenantId: p.tenantId ?? (isGuid(args.tenantId) ? args.tenantId : "00000000-0000-0000-0000-000000000000"),
      vaultName: vName,
      keySize: p.keySize,
      attestation: { authority: "https://placeholder.attest.azure.net", mode: "confidential-node" },
      admins: p.admins,
      uploaders: p.uploaders,
      releasePrincipalId: "-",
      allowedSubnetIds: ["-"],
      allowedIpRanges: p.ipRanges,
    }).filter((i) => i.path !== "party" && i.path !== "tenantId");
    out.addUnder(at, vaultIssues.map((i) => (i.path === "allowedIpRanges" || i.path.startsWith("allowedIpRanges[") ? { ...i, path: i.path.replace("allowedIpRanges", "ipRanges") } : i)));
    (p.resultReaders ?? []).forEach((r, j) => {
      const id = typeof r === "string" ? r : r.objectId;
      if (!isGuid(id)) out.add(`${at}.resultReaders[${j}]`, "guid", `"${String(id)}" is not an Entra object id (GUID)`);
    });
  });

  // Datasets: the contract's rules cover the rest (below); this pair is an argument of phase 2 alone.
  (Array.isArray(args.datasets) ? args.datasets : []).forEach((d, i) => {
    if ((d.ciphertextSha256 === undefined) !== (d.plaintextLength === undefined)) {
      out.add(`datasets[${i}]`, "digest-and-length", "ciphertextSha256 and plaintextLength are given together (both come from `cleanroom encrypt`)");
    }
  });

  // Composed components.
  const choice = attestationChoice(args, naming);
  for (const i of validateAttestationArgs({ location: args.location, resourceGroupName: "-", choice })) {
    // The region is a top-level argument; only provider problems belong under "attestation".
    if (i.path === "location") out.add("location", i.rule, i.message);
    else out.addUnder("attestation", [i]);
  }
  const policyHashIssue = dedicatedPolicyHashProblem(args.attestation);
  if (policyHashIssue) out.add("attestation.policyHash", policyHashIssue.rule, policyHashIssue.message);
  // No cluster exists in confidential-container mode, so its options are not checked there.
  const clusterIssues = mode === "confidential-container" ? [] : validateConfidentialClusterArgs({
    resourceGroupName: "-",
    location: args.location,
    clusterName: clusterName(naming),
    nodeResourceGroupName: nodeResourceGroupName(naming),
    tenantId: isGuid(args.tenantId) ? args.tenantId : "00000000-0000-0000-0000-000000000000",
    adminGroupObjectIds: args.clusterAdminGroupObjectIds as string[],
    nodeSubnetId: "-",
    controlPlaneIdentityName: identityName(naming, "controlplane"),
    kubeletIdentityName: identityName(naming, "kubelet"),
    ...args.cluster,
  });
  for (const i of clusterIssues) {
    if (i.path.startsWith("adminGroupObjectIds")) out.add(i.path.replace("adminGroupObjectIds", "clusterAdminGroupObjectIds"), i.rule, i.message);
    else out.addUnder("cluster", [i]);
  }
  if (mode === "confidential-node" && enclaveTee(args.cluster ?? {}) === "tdx") {
    out.add(
      "cluster.enclavePool.vmSize",
      "tee-not-in-release-policy",
      `"${args.cluster?.enclavePool?.vmSize}" is an Intel TDX size, but confidential-node release policies require SEV-SNP claims (x-ms-isolation-tee.x-ms-attestation-type = sevsnpvm): keys could never be released. Use an SEV-SNP size such as Standard_DC4as_v5`,
    );
  }
  out.addUnder("network", validateNetworkArgs({ resourceGroupName: "-", location: args.location, vnetName: vnetName(naming), ...args.network }));
  out.addUnder(
    "storage",
    validateSharedStorageArgs({
      resourceGroupName: "-",
      location: args.location,
      accountName: args.storage?.accountName ?? storageAccountName(naming),
      parties: [], // party names and principals are checked above
      outputReaders: [],
      allowedSubnetIds: ["-"],
      skuName: args.storage?.skuName,
      deleteRetentionDays: args.storage?.deleteRetentionDays,
    }),
  );
  checkTags(out, args.tags);
  out.addAll(validateApprovalsArgs(args));

  // The contract's own rules (the protocol's), on the draft the arguments already describe; a path a
  // stricter component rule has named (a party name's Azure naming, say) is reported once.
  const reported = new Set(out.items.map((i) => i.path));
  const draft = validateContract(buildContract(args), { phase: "draft" });
  for (const issue of draft.ok ? [] : draft.issues) {
    const path = argsPathOfContractPath(issue.path);
    if (!reported.has(path)) out.add(path, issue.rule, issue.message);
  }
  return out.items;
}

/** Approvals only make sense once the contract they sign can exist. */
function validateApprovalsArgs(args: CleanRoomArgs): ValidationIssue[] {
  if (args.approvals !== undefined && pendingContractInputs(args).length > 0) {
    return [{ path: "approvals", rule: "approvals-without-contract", message: "approvals were given but the contract is not complete yet (party keys or dataset digests are missing)" }];
  }
  return [];
}

/** Tags go onto every Azure resource: one name ARM refuses fails the whole deployment, late. */
function checkTags(out: IssueList, tags: Record<string, string> | undefined): void {
  for (const [name, value] of Object.entries(tags ?? {})) {
    const at = `tags[${JSON.stringify(name)}]`;
    const nameProblem = azureTagNameProblem(name);
    if (nameProblem) out.add(at, "tag-name", nameProblem);
    const valueProblem = typeof value === "string" ? azureTagValueProblem(value) : "a tag value must be a string";
    if (valueProblem) out.add(at, "tag-value", valueProblem);
    if (name === PARTY_TAG || name === COLLABORATION_TAG) {
      out.add(at, "reserved-tag", `"${name}" is set by the clean room itself (the collaboration, or each vault's party) and cannot be overridden`);
    }
  }
}

/** What is still missing before the contract can be built, as "parties.bank.kekPublicKey"-style names. */
export function pendingContractInputs(args: Pick<CleanRoomArgs, "parties" | "datasets">): string[] {
  const missing: string[] = [];
  for (const p of args.parties ?? []) {
    if (p.signingKey === undefined) missing.push(`parties.${p.name}.signingKey`);
    if (p.kekPublicKey === undefined) missing.push(`parties.${p.name}.kekPublicKey`);
  }
  for (const d of args.datasets ?? []) {
    if (d.ciphertextSha256 === undefined) missing.push(`datasets.${d.name}.ciphertextSha256`);
    if (d.plaintextLength === undefined) missing.push(`datasets.${d.name}.plaintextLength`);
  }
  return missing;
}

/**
 * The plan; throws ComponentArgsError listing every problem (including the contract's own rules, under
 * "contract.", once the contract is complete). Computed once per distinct arguments in a program run:
 * the config loader, the approval check and CleanRoom all ask for it, and get the same plan (only the
 * approvals, which do not change it, are checked per call).
 */
export function planCleanRoom(args: CleanRoomArgs): CleanRoomPlan {
  const key = planKey(args);
  let base = planCache.get(key);
  if (base === undefined) {
    planComputations++;
    base = computePlan({ ...args, approvals: undefined });
    planCache.set(key, base);
    // Bounded: a program plans one collaboration; tests plan many.
    if (planCache.size > PLAN_CACHE_LIMIT) planCache.delete(planCache.keys().next().value!);
  }
  return withApprovals(base, args);
}

const PLAN_CACHE_LIMIT = 16;
const planCache = new Map<string, CleanRoomPlan>();
let planComputations = 0;

/** How many plans were computed (not served from the cache) in this process: a test seam. */
export function planComputationCount(): number {
  return planComputations;
}

/**
 * What the plan depends on: every argument but the per-party providers (resources, which only choose
 * where a vault is created) and the approvals (checked per call).
 */
function planKey(args: CleanRoomArgs): string {
  return JSON.stringify({ ...args, approvals: undefined, parties: Array.isArray(args.parties) ? args.parties.map((p) => ({ ...p, provider: undefined })) : args.parties });
}

function withApprovals(base: CleanRoomPlan, args: CleanRoomArgs): CleanRoomPlan {
  const issues = validateApprovalsArgs(args);
  throwIfIssues("CleanRoom", issues);
  const contract = base.contract;
  if (contract && args.approvals !== undefined && !isVerifiedFor(args.approvals, contract)) {
    throwIfIssues("CleanRoom", [
      {
        path: "approvals",
        rule: "approvals-not-verified",
        message: `must come from verifyContractApprovals() for this contract (${contractHash(contract)}); the workload never runs on unverified approvals`,
      },
    ]);
  }
  return { ...base, phase: !contract ? "awaiting-contract-inputs" : args.approvals ? "approved" : "awaiting-approvals" };
}

function computePlan(args: CleanRoomArgs): CleanRoomPlan {
  throwIfIssues("CleanRoom", validateCleanRoomArgs(args));
  const { naming, choice, endpoint, storageAccountName: account } = planEndpoints(args);
  const mode = args.isolationMode ?? "confidential-node";
  // Container mode pins the container policy: hostdata = sha256 of the decoded ccePolicy, in every
  // party's release policy and in the contract.
  const attestationRequirements: AttestationRequirements = {
    authority: endpoint,
    mode,
    ...(mode === "confidential-container"
      ? { hostdata: ccePolicyHostdata(args.enclave!.ccePolicy), confcomVersion: args.enclave!.confcomVersion ?? PINNED_CONFCOM_VERSION }
      : {}),
    ...(args.attestation?.kind === "dedicated" ? { policyHash: args.attestation.policyHash } : {}),
  };

  const parties: PartyPlan[] = args.parties.map((p) => {
    const vName = p.vaultName ?? vaultName(naming, p.name);
    return {
      name: p.name,
      tenantId: p.tenantId ?? args.tenantId,
      vaultName: vName,
      inputContainer: inputContainerName(p.name),
      kek: planKek({ party: p.name, vaultName: vName, keySize: p.keySize, attestation: attestationRequirements }),
    };
  });
  const pending = pendingContractInputs(args);

  let contract: Contract | undefined;
  if (pending.length === 0) {
    const keyIds = new Map(parties.map((p) => [p.name, p.kek.keyId]));
    const result = validateContract(buildContract(args, { keyIdOf: (party) => keyIds.get(party)!, attestation: attestationRequirements }));
    if (!result.ok) throwIfIssues("CleanRoom", result.issues.map((i) => ({ ...i, path: argsPathOfContractPath(i.path) })));
    else contract = result.contract;
  }
  const hash = contract ? contractHash(contract) : undefined;
  return {
    naming,
    resourceGroupName: resourceGroupName(naming),
    clusterName: clusterName(naming),
    nodeResourceGroupName: nodeResourceGroupName(naming),
    vnetName: vnetName(naming),
    storageAccountName: account,
    blobEndpoint: blobEndpoint(account),
    outputContainer: OUTPUT_CONTAINER_NAME,
    identities: {
      controlPlane: identityName(naming, "controlplane"),
      kubelet: identityName(naming, "kubelet"),
      workload: identityName(naming, "workload"),
    },
    attestation: { choice, endpoint },
    attestationRequirements,
    parties,
    contract,
    contractHash: hash,
    pendingContractInputs: pending,
    resultLocation: hash ? `${blobEndpoint(account)}/${OUTPUT_CONTAINER_NAME}/${hash}/` : undefined,
    phase: !contract ? "awaiting-contract-inputs" : "awaiting-approvals",
    ...(hash && mode === "confidential-container" ? { enclaveContainerGroupName: enclaveContainerGroupName(args.collaboration, hash, args.enclave!.runAttempt) } : {}),
  };
}

/** The contract the arguments describe, or undefined while inputs are missing. Throws on invalid args. */
export function cleanRoomContract(args: CleanRoomArgs): Contract | undefined {
  return planCleanRoom(args).contract;
}

// Confidential-container mode: the enclave runs as a Confidential ACI container group (AMD SEV-SNP
// utility VM per group) instead of a Job on a confidential AKS node. The group's container security
// policy (ccePolicy, produced by `az confcom acipolicygen`) is measured into the attestation report:
// its sha256 is the token's x-ms-sevsnpvm-hostdata, which every party's release policy pins, so only
// this exact set of containers (images, env, mounts) can release the keys. Two containers: the
// enclave image and Microsoft's SKR sidecar, which serves attestation on localhost. A user-assigned
// identity, the only holder of the release role on each key (granted by PartyVault), reads inputs
// and writes outputs. `pulumi up` waits for the enclave container to terminate (enclave-run.ts).
import * as pulumi from "@pulumi/pulumi";
import * as containerinstance from "@pulumi/azure-native/containerinstance/index.js";
import { APPROVALS_FILE, canonicalJson, ccePolicyHostdata, CONTRACT_FILE, CONFCOM_VERSION, contractHash, formatPartySigners, pinnedImageProblem, sameAuthority, type Contract } from "../enclave-app/src/protocol/index.ts";
import { isVerifiedFor, type VerifiedApprovals } from "./approvals.ts";
import { defaultContainerGroupReader, waitForEnclaveExit, type ContainerGroupReader, type EnclaveRunResult } from "./enclave-run.ts";
import { DeploymentMismatchError, IssueList, isInteger, throwIfIssues, type ValidationIssue } from "./validation.ts";
import { enclaveStorageGrants, type WorkloadStorage } from "./workload.ts";
import { ENCLAVE_CONTAINER_NAME, enclaveGroupContainers, PINNED_CONFCOM_VERSION, SKR_SIDECAR_RESOURCES } from "./enclave-container-spec.ts";

export const ENCLAVE_CONTAINER_GROUP_TYPE = "cleanroom:index:EnclaveContainerGroup";
/** Microsoft's SKR sidecar image, pinned by digest: mcr.microsoft.com/aci/skr[:tag]@sha256:<64 hex>. */
export const SKR_SIDECAR_IMAGE = /^mcr\.microsoft\.com\/aci\/skr(:[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/;
/** Confidential ACI group limits (learn.microsoft.com container-instances-resource-and-quota-limits: 4 vCPU / 16 GB; *check* per region). */
export const CONFIDENTIAL_GROUP_MAX = { cpu: 4, memoryInGB: 16 } as const;
export const DEFAULT_ENCLAVE_CONTAINER_RESOURCES = { cpu: 3, memoryInGB: 12, scratchMiB: 3072 } as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A problem with a ccePolicy value, or undefined. */
export function ccePolicyProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length === 0) return "must be the base64 container security policy that `az confcom acipolicygen` prints (npm run cce-policy -- --stack <name> writes its input and prints the command)";
  if (!BASE64.test(value)) return "is not standard base64 (confcom prints the Rego policy base64-encoded, without line breaks)";
  const rego = Buffer.from(value, "base64").toString("utf8");
  if (!/^\s*(#.*\n\s*)*package policy\b/m.test(rego)) return 'does not decode to a confcom Rego policy (expected it to start with "package policy")';
  return undefined;
}

/** Container-mode settings a collaboration gives (stack config key `enclave`). */
export interface EnclaveContainerOptions {
  /** Base64 Rego container security policy from `az confcom acipolicygen`; its hash is pinned by every release policy. */
  ccePolicy: string;
  /** mcr.microsoft.com/aci/skr@sha256:<digest>. */
  skrSidecarImage: string;
  /** The `az confcom` release that generated ccePolicy; recorded in the contract. Default PINNED_CONFCOM_VERSION. */
  confcomVersion?: string;
  /** In the group name: a new attempt is a new group, so a finished (or failed) run can be repeated. Default 1. */
  runAttempt?: number;
  /** The enclave container's share of the group. Default 3 vCPU, 12 GB, 3072 MiB scratch. */
  resources?: { cpu?: number; memoryInGB?: number; scratchMiB?: number };
  /** How long `pulumi up` waits for the enclave to terminate. Default 7200. */
  timeoutSeconds?: number;
}

export interface EnclaveContainerGroupArgs extends EnclaveContainerOptions {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  /** Physical group name (enclaveContainerGroupName()). */
  groupName: string;
  contract: Contract;
  approvals: VerifiedApprovals;
  storage: WorkloadStorage;
  /** A subnet delegated to Microsoft.ContainerInstance/containerGroups. */
  subnetId: pulumi.Input<string>;
  /** The user-assigned identity the enclave authenticates as (release role holder on each party's key). */
  identity: { id: pulumi.Input<string>; clientId: pulumi.Input<string>; principalId: pulumi.Input<string> };
  /** The live attestation endpoint: the group is created only once it equals contract.attestation.authority. */
  attestationEndpoint?: pulumi.Input<string>;
  /** Defaults to ARM through @azure/identity (or the fake an offline runner installs). */
  reader?: ContainerGroupReader;
  /** Poll interval while waiting, ms. Default 15000. */
  pollIntervalMs?: number;
  tags?: Record<string, string>;
}

/** `<collaboration prefix>-<contract hash prefix>-r<attempt>`: 1-63 lowercase letters, digits and hyphens. */
export function enclaveContainerGroupName(collaboration: string, hash: string, runAttempt = 1): string {
  const prefix = collaboration.slice(0, 32).replace(/-+$/, "");
  return `${prefix}-${hash.slice(0, 12)}-r${runAttempt}`;
}

/** Checks of the options alone (CleanRoom reports them under "enclave"). */
export function validateEnclaveContainerOptions(o: Partial<EnclaveContainerOptions> | undefined): ValidationIssue[] {
  const out = new IssueList();
  if (o === undefined || o === null || typeof o !== "object") {
    out.add("", "required", "confidential-container mode needs enclave settings: ccePolicy (from az confcom acipolicygen) and skrSidecarImage");
    return out.items;
  }
  const policy = ccePolicyProblem(o.ccePolicy);
  if (policy) out.add("ccePolicy", "cce-policy", policy);
  if (typeof o.skrSidecarImage !== "string" || !SKR_SIDECAR_IMAGE.test(o.skrSidecarImage)) {
    out.add("skrSidecarImage", "image-not-pinned", `"${String(o.skrSidecarImage)}" must be mcr.microsoft.com/aci/skr@sha256:<64 hex>: the sidecar is part of the measured policy, so it is pinned like the enclave`);
  }
  if (o.confcomVersion !== undefined && (typeof o.confcomVersion !== "string" || !CONFCOM_VERSION.test(o.confcomVersion))) {
    out.add("confcomVersion", "bad-version", `must be the az confcom release that generated ccePolicy, such as "${PINNED_CONFCOM_VERSION}"; got ${JSON.stringify(o.confcomVersion)}`);
  }
  if (o.runAttempt !== undefined && (!isInteger(o.runAttempt) || o.runAttempt < 1 || o.runAttempt > 999)) {
    out.add("runAttempt", "range", `must be an integer 1..999; got ${String(o.runAttempt)}`);
  }
  const r = { ...DEFAULT_ENCLAVE_CONTAINER_RESOURCES, ...o.resources };
  if (typeof r.cpu !== "number" || !(r.cpu >= 1) || r.cpu + SKR_SIDECAR_RESOURCES.cpu > CONFIDENTIAL_GROUP_MAX.cpu) {
    out.add("resources.cpu", "range", `must be >= 1 and leave ${SKR_SIDECAR_RESOURCES.cpu} vCPU for the sidecar within the ${CONFIDENTIAL_GROUP_MAX.cpu} vCPU of a confidential group; got ${String(r.cpu)}`);
  }
  if (typeof r.memoryInGB !== "number" || !(r.memoryInGB >= 2) || r.memoryInGB + SKR_SIDECAR_RESOURCES.memoryInGB > CONFIDENTIAL_GROUP_MAX.memoryInGB) {
    out.add("resources.memoryInGB", "range", `must be >= 2 and leave ${SKR_SIDECAR_RESOURCES.memoryInGB} GB for the sidecar within the ${CONFIDENTIAL_GROUP_MAX.memoryInGB} GB of a confidential group; got ${String(r.memoryInGB)}`);
  }
  if (!isInteger(r.scratchMiB) || r.scratchMiB < 64) out.add("resources.scratchMiB", "range", `must be an integer >= 64; got ${String(r.scratchMiB)}`);
  else if (typeof r.memoryInGB === "number" && r.memoryInGB * 1024 - r.scratchMiB - 1024 < 512) {
    out.add("resources.scratchMiB", "memory-budget", `${r.scratchMiB} MiB of scratch leaves less than 512 MiB for DuckDB in ${r.memoryInGB} GB`);
  }
  if (o.timeoutSeconds !== undefined && (!isInteger(o.timeoutSeconds) || o.timeoutSeconds < 60 || o.timeoutSeconds > 7 * 24 * 3600)) {
    out.add("timeoutSeconds", "range", `must be an integer 60..604800; got ${String(o.timeoutSeconds)}`);
  }
  return out.items;
}

export function validateEnclaveContainerGroupArgs(args: EnclaveContainerGroupArgs): ValidationIssue[] {
  const out = new IssueList();
  out.addUnder("", validateEnclaveContainerOptions(args));
  const image = pinnedImageProblem(args.contract.enclave.image);
  if (image) out.add("contract.enclave.image", "image-not-pinned", image);
  if (!isVerifiedFor(args.approvals, args.contract)) {
    out.add("approvals", "approvals-not-verified", "must come from verifyContractApprovals() for this exact contract; the enclave never runs on unverified approvals");
  }
  const att = args.contract.attestation;
  if (att.mode !== "confidential-container") {
    out.add("contract.attestation.mode", "isolation-mode", `must be "confidential-container" for a container group; got "${String(att.mode)}"`);
  } else if (typeof args.ccePolicy === "string" && att.hostdata !== ccePolicyHostdata(args.ccePolicy)) {
    out.add(
      "ccePolicy",
      "hostdata-mismatch",
      `sha256 of the decoded policy is ${ccePolicyHostdata(args.ccePolicy)} but the contract pins hostdata ${String(att.hostdata)}: the keys would never be released to this group`,
    );
  }
  if (!/^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(args.groupName)) {
    out.add("groupName", "name-format", `"${args.groupName}" must be 1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen`);
  }
  return out.items;
}

export class EnclaveContainerGroup extends pulumi.ComponentResource {
  readonly groupName: string;
  readonly groupId: pulumi.Output<string>;
  readonly contractHash: string;
  readonly hostdata: string;
  /** Resolves once the enclave container terminated with exit code 0 (undefined during preview); rejects otherwise. */
  readonly run: pulumi.Output<EnclaveRunResult | undefined>;
  /** <output container>/<contract hash>/<group name>/ */
  readonly resultPrefix: string;

  constructor(name: string, args: EnclaveContainerGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ENCLAVE_CONTAINER_GROUP_TYPE, name, {}, opts);
    throwIfIssues(`EnclaveContainerGroup "${name}"`, validateEnclaveContainerGroupArgs(args), this);
    const hash = contractHash(args.contract);
    this.contractHash = hash;
    this.groupName = args.groupName;
    this.hostdata = ccePolicyHostdata(args.ccePolicy);
    this.resultPrefix = `${args.storage.outputContainerName}/${hash}/${args.groupName}/`;
    const r = { ...DEFAULT_ENCLAVE_CONTAINER_RESOURCES, ...args.resources };

    // The same storage roles the workload identity gets in node mode (workload.ts): read each input, write the output.
    const grants = enclaveStorageGrants(name, args.identity.principalId, args.storage, this);

    const pinned = args.contract.attestation.authority;
    const attestationEndpoint = pulumi.output(args.attestationEndpoint ?? pinned).apply((live) => {
      if (!sameAuthority(live, pinned)) {
        throw new DeploymentMismatchError(`the attestation endpoint is "${live}" but the approved contract pins "${pinned}"; the enclave container group was not created`);
      }
      return pinned;
    });

    // The same containers the container policy was generated for (tools/cce-policy reads this spec too).
    const containers = enclaveGroupContainers({
      enclaveImage: args.contract.enclave.image,
      skrSidecarImage: args.skrSidecarImage,
      storageUrl: args.storage.blobEndpoint,
      outputContainer: args.storage.outputContainerName,
      attestationEndpoint,
      resources: r,
      partySigners: formatPartySigners(args.contract.parties),
      runId: args.groupName,
      clientId: args.identity.clientId,
    });

    const group = new containerinstance.ContainerGroup(
      `${name}-group`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        containerGroupName: args.groupName,
        // Confidential: the group runs in its own SEV-SNP utility VM, and ARM enforces ccePolicy in it.
        sku: "Confidential",
        confidentialComputeProperties: { ccePolicy: args.ccePolicy },
        osType: "Linux",
        // One run: a restarted enclave would attest and release again without anyone asking.
        restartPolicy: "Never",
        identity: { type: "UserAssigned", userAssignedIdentities: [args.identity.id] },
        // No ipAddress: nothing listens to the outside; the group reaches Storage, Key Vault, MAA and
        // Entra ID from the delegated subnet (service endpoints for the first two).
        subnetIds: [{ id: args.subnetId }],
        containers: containers.map((c) => ({
          name: c.name,
          image: c.image,
          ...(c.command ? { command: [...c.command] } : {}),
          environmentVariables: c.env.map((e) => ({ name: e.name, value: e.value })),
          resources: { requests: { cpu: c.cpu, memoryInGB: c.memoryInGB } },
          ...(c.mounts.length > 0 ? { volumeMounts: c.mounts.map((m) => ({ name: m.volume, mountPath: m.mountPath, readOnly: m.readOnly })) } : {}),
        })),
        volumes: [
          // Secret volumes are files of base64 content; the policy measures the mounts, the contract hash is checked by the runtime.
          {
            name: "contract",
            secret: {
              [CONTRACT_FILE]: Buffer.from(canonicalJson(args.contract)).toString("base64"),
              [APPROVALS_FILE]: Buffer.from(canonicalJson(args.approvals.approvals)).toString("base64"),
            },
          },
          // emptyDir lives inside the group's utility VM, whose memory SEV-SNP encrypts (*check*: whether ACI backs it with the VM's disk).
          { name: "scratch", emptyDir: {} },
          { name: "tmp", emptyDir: {} },
        ],
        tags: { ...args.tags, "cleanroom-contract-hash": hash.slice(0, 64) },
      },
      { parent: this, dependsOn: grants },
    );

    const reader = args.reader ?? defaultContainerGroupReader();
    const timeoutMs = (args.timeoutSeconds ?? 7200) * 1000;
    // ARM returns once the group is provisioned; this output settles only when the enclave has exited.
    this.run = group.id.apply(async (id) => {
      if (pulumi.runtime.isDryRun()) return undefined;
      return waitForEnclaveExit(reader, id, ENCLAVE_CONTAINER_NAME, { timeoutMs, ...(args.pollIntervalMs !== undefined ? { intervalMs: args.pollIntervalMs } : {}) });
    });
    this.groupId = group.id;
    this.registerOutputs({
      groupName: this.groupName,
      groupId: this.groupId,
      contractHash: this.contractHash,
      hostdata: this.hostdata,
      resultPrefix: this.resultPrefix,
      run: this.run,
    });
  }
}

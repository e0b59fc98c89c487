// The CleanRoom as the multi-language package serves it (type cleanroom:index:CleanRoom). A thin
// class: plain arguments that mirror the stack config, checked by the program's own config parser;
// the same provider and approval handling as the program (stacks/collaboration.ts); then the very
// createCleanRoom() the TypeScript component calls. So a YAML, Python, Go or C# program gets the
// resources and outputs `pulumi up` of this repository's program gets.
//
// Pulumi's schema inference reads this class: every property below is an output (typed for the
// analyzer, documented for the schema), and the class must extend ComponentResource directly. Keep
// other members off it: the analyzer would try to publish them.
import * as pulumi from "@pulumi/pulumi";
import { CLEAN_ROOM_TYPE, createCleanRoom } from "../components/index.ts";
import { collaborationOutputs, prepareCleanRoomArgs, type CollaborationOutputs } from "../stacks/collaboration.ts";
import type { CleanRoomArgs, EnclaveContainerGroupInfo, EnclaveJob, PartyEndpoints } from "./clean-room-args.ts";
import { loadCleanRoomInputs } from "./inputs.ts";

/**
 * A confidential data clean room on Azure for two or more parties: one Premium Key Vault per party
 * with a Secure-Key-Release key, shared storage, an attestation provider, and (confidential-node) an
 * AKS cluster with an AMD SEV-SNP pool or (confidential-container) a Confidential ACI enclave that
 * runs the approved SQL once every data owner has signed the contract.
 */
export class CleanRoom extends pulumi.ComponentResource {
  /** awaiting-contract-inputs (phase 1), awaiting-approvals, or approved (the enclave runs). */
  public readonly phase: pulumi.Output<string>;
  /** The collaboration's resource group. */
  public readonly resourceGroupName: pulumi.Output<string>;
  /** Confidential-node mode: the AKS cluster's name. */
  public readonly clusterName: pulumi.Output<string | undefined>;
  /** Confidential-node mode: the AKS cluster's ARM id. */
  public readonly clusterId: pulumi.Output<string | undefined>;
  /** Confidential-node mode: the cluster's OIDC issuer (workload identity). */
  public readonly oidcIssuerUrl: pulumi.Output<string | undefined>;
  /** Confidential-node mode: a kubelogin (Entra ID) kubeconfig, secret. */
  public readonly kubeconfig: pulumi.Output<string | undefined>;
  /** The attestation endpoint every release policy names. */
  public readonly attestationEndpoint: pulumi.Output<string>;
  /** The Key Vault release policy (JSON document) attached to every party's key. */
  public readonly releasePolicy: pulumi.Output<any>;
  /** sha256 of the canonical release policy; part of each key's name. */
  public readonly releasePolicyDigest: pulumi.Output<string>;
  /** The shared storage account. */
  public readonly storageAccountName: pulumi.Output<string>;
  /** https://<account>.blob.core.windows.net */
  public readonly blobEndpoint: pulumi.Output<string>;
  /** Per party: vault, key and upload location. */
  public readonly parties: pulumi.Output<Record<string, PartyEndpoints>>;
  /** What is still missing before the contract can be built (phase 1), e.g. parties.bank.kekPublicKey. */
  public readonly pendingContractInputs: pulumi.Output<string[]>;
  /** The contract every data owner signs (canonical JSON), once complete. */
  public readonly contract: pulumi.Output<string | undefined>;
  /** sha256 of the canonical contract: what `cleanroom contract sign` signs. */
  public readonly contractHash: pulumi.Output<string | undefined>;
  /** The parties whose approval the contract needs (every owner of a dataset the SQL reads). */
  public readonly requiredApprovers: pulumi.Output<string[] | undefined>;
  /** Where the result and the receipt are written. */
  public readonly resultLocation: pulumi.Output<string | undefined>;
  /** Confidential-node mode, once approved: the enclave Job. */
  public readonly enclaveJob: pulumi.Output<EnclaveJob | undefined>;
  /** Confidential-container mode: sha256 of the decoded ccePolicy, pinned by the contract and every release policy. */
  public readonly enclaveHostdata: pulumi.Output<string | undefined>;
  /** Confidential-container mode, once approved: the enclave's container group and how its run ended. */
  public readonly enclaveContainerGroup: pulumi.Output<EnclaveContainerGroupInfo | undefined>;

  constructor(name: string, args: CleanRoomArgs, opts?: pulumi.ComponentResourceOptions) {
    super(CLEAN_ROOM_TYPE, name, {}, opts);
    // Synchronous: invalid inputs fail the construct call with property errors before anything is declared.
    const loaded = loadCleanRoomInputs(args);
    // Verifying the approvals is asynchronous (signatures), so the children are declared once it is done.
    const outputs: Promise<CollaborationOutputs> = prepareCleanRoomArgs(loaded, {
      parent: this,
      providerName: (party) => `${name}-${party}-subscription`,
    }).then((roomArgs) => collaborationOutputs(createCleanRoom(this, name, roomArgs)));
    // A failure (approvals that do not verify) is carried by `phase` alone, which fails the Construct
    // call (or the program) with its message once; the other outputs, unobservable then, settle as
    // undefined instead of each reporting the same error again as an unhandled rejection.
    const settled = outputs.catch(() => undefined);
    const output = <K extends keyof CollaborationOutputs>(key: K) => pulumi.output(settled.then((o) => o?.[key] as CollaborationOutputs[K]));

    this.phase = pulumi.output(outputs.then((o) => o.phase));
    this.resourceGroupName = output("resourceGroupName");
    this.clusterName = output("clusterName");
    this.clusterId = output("clusterId");
    this.oidcIssuerUrl = output("oidcIssuerUrl");
    this.kubeconfig = output("kubeconfig");
    this.attestationEndpoint = output("attestationEndpoint");
    this.releasePolicy = output("releasePolicy");
    this.releasePolicyDigest = output("releasePolicyDigest");
    this.storageAccountName = output("storageAccountName");
    this.blobEndpoint = output("blobEndpoint");
    this.parties = output("parties");
    this.pendingContractInputs = output("pendingContractInputs");
    this.contract = output("contract");
    this.contractHash = output("contractHash");
    this.requiredApprovers = output("requiredApprovers");
    this.resultLocation = output("resultLocation");
    this.enclaveJob = output("enclaveJob");
    this.enclaveHostdata = output("enclaveHostdata");
    this.enclaveContainerGroup = output("enclaveContainerGroup");
    // The registration waits for the children (its keep-alive holds the run open until they are declared).
    this.registerOutputs(settled.then((o) => o ?? {}));
  }
}

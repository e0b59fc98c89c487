// Which Microsoft Azure Attestation endpoint signs the tokens the release policies trust: a dedicated
// provider for this collaboration (default) or the shared regional one. The endpoint is derived from
// the provider name and region before anything is deployed, so release policies and key names are
// known at preview time; the deployed provider's attestUri is then checked against it.
import * as pulumi from "@pulumi/pulumi";
import * as attestation from "@pulumi/azure-native/attestation/index.js";
import {
  ATTESTATION_REGION_CODES,
  dedicatedAttestationEndpoint,
  sameAuthority,
  sharedAttestationEndpoint,
} from "../enclave-app/src/protocol/index.ts";
import { NAME_RULES } from "./naming.ts";
import { DeploymentMismatchError, IssueList, throwIfIssues, type ValidationIssue } from "./validation.ts";

export const ATTESTATION_TYPE = "cleanroom:index:Attestation";

export type AttestationChoice = { kind: "dedicated"; providerName: string } | { kind: "shared" };

export interface AttestationArgs {
  location: string;
  /** Needed for a dedicated provider. */
  resourceGroupName?: pulumi.Input<string>;
  choice: AttestationChoice;
  tags?: Record<string, string>;
}

export function validateAttestationArgs(args: AttestationArgs): ValidationIssue[] {
  const out = new IssueList();
  if (sharedAttestationEndpoint(args.location) === undefined) {
    out.add(
      "location",
      "unsupported-region",
      `"${args.location}" has no known attestation region code with confidential VM (SEV-SNP) capacity; supported: ${Object.keys(ATTESTATION_REGION_CODES).join(", ")}`,
    );
  }
  if (args.choice.kind === "dedicated") {
    if (!NAME_RULES.attestationProvider.test(args.choice.providerName)) {
      out.add("choice.providerName", "name-format", `"${args.choice.providerName}" must be 3-24 letters and digits`);
    }
    if (args.resourceGroupName === undefined) {
      out.add("resourceGroupName", "required", "a dedicated attestation provider needs a resource group");
    }
  } else if (args.choice.kind !== "shared") {
    out.add("choice.kind", "enum", `must be "dedicated" or "shared"`);
  }
  return out.items;
}

/** The endpoint a choice resolves to; throws ComponentArgsError when the region is unknown. */
export function expectedAttestationEndpoint(args: Pick<AttestationArgs, "location" | "choice">): string {
  const endpoint =
    args.choice.kind === "dedicated"
      ? dedicatedAttestationEndpoint(args.choice.providerName, args.location)
      : sharedAttestationEndpoint(args.location);
  if (endpoint === undefined) {
    throwIfIssues("Attestation", validateAttestationArgs({ ...args, resourceGroupName: "-" }));
    throw new Error("unreachable");
  }
  return endpoint;
}

/** Compares the attestUri ARM reports with the endpoint pinned in the release policies. */
export function checkAttestUri(reported: string | undefined, expected: string): string {
  if (reported !== undefined && reported !== "" && !sameAuthority(reported, expected)) {
    throw new DeploymentMismatchError(
      `attestation provider reports attestUri "${reported}" but the release policies pin "${expected}"; ` +
        `add the region's code to ATTESTATION_REGION_CODES or correct it, then run pulumi up again`,
    );
  }
  return expected;
}

/** What an Attestation exposes: built by createAttestation(), assigned by the component classes. */
export interface AttestationParts {
  /** https URL of the endpoint; for a dedicated provider it resolves only after the provider exists and matches. */
  readonly endpoint: pulumi.Output<string>;
  /** The same URL as a plain value, for policies and names computed before deployment. */
  readonly expectedEndpoint: string;
  readonly providerId: pulumi.Output<string> | undefined;
}

/**
 * The Attestation's children under `self`: the TypeScript component below and the component
 * package's Attestation (pulumi-package/attestation.ts) both call it.
 */
export function createAttestation(self: pulumi.ComponentResource, name: string, args: AttestationArgs): AttestationParts {
  throwIfIssues(`Attestation "${name}"`, validateAttestationArgs(args), self);
  const expectedEndpoint = expectedAttestationEndpoint(args);
  if (args.choice.kind !== "dedicated") return { endpoint: pulumi.output(expectedEndpoint), expectedEndpoint, providerId: undefined };

  const provider = new attestation.AttestationProvider(
    `${name}-provider`,
    {
      resourceGroupName: args.resourceGroupName!,
      location: args.location,
      providerName: args.choice.providerName,
      properties: {
        // Enclaves reach MAA over the internet from the node pool; tokens are public by design.
        publicNetworkAccess: "Enabled",
        // AzureAttestSKR calls MAA without an Entra token: the hardware evidence, not the caller, is
        // what gets attested, so the TPM/guest attestation APIs must not demand caller authentication.
        tpmAttestationAuthentication: "Disabled",
      },
      tags: args.tags,
    },
    { parent: self },
  );
  return {
    endpoint: provider.attestUri.apply((uri) => checkAttestUri(uri, expectedEndpoint)),
    expectedEndpoint,
    providerId: provider.id,
  };
}

// Attestation's fields are exactly its AttestationParts (declaration merging), assigned from its create function.
export interface Attestation extends AttestationParts {}
export class Attestation extends pulumi.ComponentResource {
  constructor(name: string, args: AttestationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ATTESTATION_TYPE, name, {}, opts);
    const parts = createAttestation(this, name, args);
    Object.assign(this, parts);
    this.registerOutputs({ endpoint: this.endpoint });
  }
}

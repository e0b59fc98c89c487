// The Attestation as the component package serves it (cleanroom:index:Attestation): the choice as a
// kind enum plus a provider name (the analyzer cannot express the TypeScript union), delegated to
// the same createAttestation().
import * as pulumi from "@pulumi/pulumi";
import { ATTESTATION_TYPE, createAttestation, type AttestationChoice } from "../components/index.ts";
import type { AttestationKind } from "./clean-room-args.ts";
import { propertiesError, requirePlain, withPropertyErrors } from "./plain.ts";

export interface AttestationArgs {
  /** Azure region with confidential VM capacity. */
  location: pulumi.Input<string>;
  /** "shared": the regional provider (nobody can alter its policy); "dedicated": a provider in resourceGroupName. */
  kind: pulumi.Input<AttestationKind>;
  /** Dedicated only, required: 3-24 letters and digits. */
  providerName?: pulumi.Input<string>;
  /** Dedicated only, required: the resource group of the provider (may be another resource's output). */
  resourceGroupName?: pulumi.Input<string>;
  /** Tags on the provider. */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

type PlainAttestationArgs = { location: string; kind: string; providerName?: string; resourceGroupName?: pulumi.Input<string>; tags?: Record<string, string> };

/** The TypeScript union from the flat kind + providerName; a dedicated provider needs both its name and resource group. */
function attestationChoice(args: PlainAttestationArgs): AttestationChoice {
  if (args.kind === "shared") return { kind: "shared" };
  if (args.kind !== "dedicated") throw propertiesError("Attestation", [{ propertyPath: "kind", reason: `must be "shared" or "dedicated"; got "${String(args.kind)}" [enum]` }]);
  const missing = (["providerName", "resourceGroupName"] as const).filter((key) => args[key] === undefined);
  if (missing.length > 0) throw propertiesError("Attestation", missing.map((key) => ({ propertyPath: key, reason: "is required for a dedicated provider [required]" })));
  return { kind: "dedicated", providerName: args.providerName! };
}

/**
 * The Microsoft Azure Attestation endpoint every release policy names: the shared regional provider,
 * or a dedicated AttestationProvider whose reported attestUri must equal the endpoint the policies pin.
 */
export class Attestation extends pulumi.ComponentResource {
  /** https URL of the endpoint; for a dedicated provider it resolves once the provider exists and matches. */
  public readonly endpoint: pulumi.Output<string>;
  /** The endpoint as computed before deployment (what release policies pin). */
  public readonly expectedEndpoint: pulumi.Output<string>;
  /** ARM id of the dedicated provider. */
  public readonly providerId: pulumi.Output<string | undefined>;

  constructor(name: string, args: AttestationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ATTESTATION_TYPE, name, {}, opts);
    requirePlain("Attestation", args, ["resourceGroupName"]);
    const plain = args as PlainAttestationArgs;
    const choice = attestationChoice(plain);
    const parts = withPropertyErrors(
      "Attestation",
      () => createAttestation(this, name, { location: plain.location, resourceGroupName: plain.resourceGroupName, choice, tags: plain.tags }),
      (path) => path.replace(/^choice\./, ""),
    );
    this.endpoint = parts.endpoint;
    this.expectedEndpoint = pulumi.output(parts.expectedEndpoint);
    this.providerId = pulumi.output(parts.providerId);
    this.registerOutputs({ endpoint: this.endpoint, expectedEndpoint: this.expectedEndpoint, providerId: this.providerId });
  }
}

// Key Vault keys: an exportable key leaves the HSM only through Secure Key Release, so it must carry a
// release policy, and that policy must confine release to a non-debuggable SEV-SNP/TDX TEE attested
// by an allowed authority. Keys are HSM-backed and strong enough to wrap content keys for years.
import { DEFAULT_ALLOWED_AUTHORITIES } from "./authorities.ts";
import { defineConfig, forTypes, stringList, type CleanRoomResourcePolicy, type Props } from "./policy.ts";
import { resourceLabel } from "./props.ts";
import { checkReleasePolicy, TEE_TYPES } from "./release-policy-check.ts";
import { AzureTypes } from "./resource-types.ts";

const keyLabel = (props: Props, name: string) => resourceLabel("key", props, ["keyName"], name);

export const keyExportableHasReleasePolicy: CleanRoomResourcePolicy = {
  name: "key-exportable-has-release-policy",
  description: "Every exportable Key Vault key has a release policy, the only thing that stands between the key and whoever may call release.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Give the key properties.releasePolicy { contentType: \"application/json; charset=utf-8\", data: base64url(policy) } built with buildReleasePolicy(), or make it non-exportable.",
  validateResource: forTypes([AzureTypes.key], (props, args, report) => {
    const p = props.properties;
    if (p?.attributes?.exportable !== true) return;
    const data = p?.releasePolicy?.data;
    if (typeof data !== "string" || data.trim() === "") {
      report(`${keyLabel(props, args.name)} is exportable but has no release policy (properties.releasePolicy.data).`);
    }
  }),
};

const releasePolicyConfig = defineConfig<{ allowedAuthorities: string[]; allowedTeeTypes: string[] }>({
  allowedAuthorities: stringList(
    "Attestation authorities a release policy may name: exact https URLs, or https://*.<domain> for any host under <domain>.",
    [...DEFAULT_ALLOWED_AUTHORITIES],
  ),
  allowedTeeTypes: stringList("Attestation types accepted as a TEE (x-ms-attestation-type or x-ms-isolation-tee.x-ms-attestation-type).", [...TEE_TYPES], {
    type: "string",
    enum: [...TEE_TYPES],
  }),
});

export const keyReleasePolicyAttested: CleanRoomResourcePolicy = {
  name: "key-release-policy-attested",
  description:
    "Every key release policy decodes, follows the Key Vault grammar, names only allowed attestation authorities, and demands a SEV-SNP or TDX TEE that is not debuggable (checked with the protocol's evaluator against synthetic tokens).",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Build the policy with buildReleasePolicy() from the collaboration's attestation requirements (PartyVault does); a hand-written policy needs an equals condition on the TEE type (sevsnpvm/tdxvm) and on the debug claim (false) under every authority.",
  configSchema: releasePolicyConfig.schema,
  validateResource: forTypes([AzureTypes.key], (props, args, report) => {
    const data = props.properties?.releasePolicy?.data;
    if (typeof data !== "string" || data.trim() === "") return;
    const { allowedAuthorities, allowedTeeTypes } = releasePolicyConfig.read(args);
    for (const problem of checkReleasePolicy(data, { allowedAuthorities, allowedTeeTypes }).problems) {
      report(`${keyLabel(props, args.name)}: ${problem}`);
    }
  }),
};

const keyStrengthConfig = defineConfig<{ allowedKeyTypes: string[]; minimumRsaKeySize: number }>({
  allowedKeyTypes: stringList("Key types accepted (HSM-backed only; Secure Key Release requires them).", ["RSA-HSM", "EC-HSM"]),
  minimumRsaKeySize: { type: "integer", minimum: 2048, default: 3072, description: "Smallest RSA modulus in bits." },
});

export const keyHsmTypeAndSize: CleanRoomResourcePolicy = {
  name: "key-hsm-type-and-size",
  description: "Keys are HSM-backed (RSA-HSM or EC-HSM) and RSA keys have at least 3072 bits.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: 'Set properties.kty to "RSA-HSM" (or "EC-HSM") and properties.keySize to 3072 or 4096.',
  configSchema: keyStrengthConfig.schema,
  validateResource: forTypes([AzureTypes.key], (props, args, report) => {
    const { allowedKeyTypes, minimumRsaKeySize } = keyStrengthConfig.read(args);
    const kty = props.properties?.kty;
    if (typeof kty !== "string" || !allowedKeyTypes.includes(kty)) {
      report(`${keyLabel(props, args.name)} has key type ${JSON.stringify(kty ?? null)}; allowed: ${allowedKeyTypes.join(", ")}.`);
      return;
    }
    if (kty.startsWith("RSA")) {
      const size = props.properties?.keySize;
      if (typeof size !== "number" || size < minimumRsaKeySize) {
        report(`${keyLabel(props, args.name)} is ${kty} with keySize ${JSON.stringify(size ?? null)}; RSA keys need at least ${minimumRsaKeySize} bits.`);
      }
    }
  }),
};

export const keyPolicies = [keyExportableHasReleasePolicy, keyReleasePolicyAttested, keyHsmTypeAndSize];

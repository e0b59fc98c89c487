// Confidential ACI container groups (confidential-container mode): the group's ccePolicy is what the
// parties' keys are released to (its sha256 is the hostdata every release policy pins), so the pack
// reads it in full and refuses one that lets anything but the group's own pinned images run, or
// lets the host in (cce-policy-check.ts).
import type { CleanRoomResourcePolicy, Props } from "./policy.ts";
import { forTypes } from "./policy.ts";
import { checkCcePolicy, type GroupContainer } from "./cce-policy-check.ts";
import { resourceLabel, sameText } from "./props.ts";
import { AzureTypes } from "./resource-types.ts";

/** Containers and init containers as ARM takes them ({name, image}); outputs carry the same fields. */
export function groupContainersOf(props: Props): GroupContainer[] {
  const out: GroupContainer[] = [];
  for (const key of ["initContainers", "containers"] as const) {
    const list: unknown = props[key];
    if (!Array.isArray(list)) continue;
    list.forEach((c: Props, i) => out.push({ name: typeof c?.name === "string" ? c.name : `${key}[${i}]`, image: c?.image }));
  }
  return out;
}

export const isConfidentialGroup = (props: Props) => sameText(props.sku, "Confidential");

export const aciCcePolicyLockedDown: CleanRoomResourcePolicy = {
  name: "aci-cce-policy-locked-down",
  description:
    "A Confidential ACI group's ccePolicy decodes to confcom's Rego, delegates every enforcement point to Microsoft's framework, admits only the group's own digest-pinned images (and confcom's pause container) and Microsoft's infrastructure fragment, and allows no shell, stdio, runtime logging, stack dumps, unencrypted scratch or elevated container.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Generate the policy with `az confcom acipolicygen --disable-stdio` (never --debug-mode) from the input `npm run cce-policy` writes (every image pinned by digest), and pass the base64 output unchanged as enclave.ccePolicy; then put its new hostdata into the contract and every release policy.",
  validateResource: forTypes([AzureTypes.containerGroup], (props, args, report) => {
    if (!isConfidentialGroup(props)) return;
    const group = resourceLabel("container group", props, ["containerGroupName", "name"], args.name);
    for (const f of checkCcePolicy(props.confidentialComputeProperties?.ccePolicy, groupContainersOf(props))) {
      if (f.rule !== "properties-access") report(`${group} ccePolicy refused (${f.rule}): ${f.message}.`);
    }
  }),
};

export const aciCcePolicyPropertiesAccess: CleanRoomResourcePolicy = {
  name: "aci-cce-policy-no-properties-access",
  description:
    "Advisory: a Confidential ACI group's ccePolicy does not let the host query container properties (process list, resource statistics). confcom 2.0.1 allows it in every policy it generates, so this cannot be mandatory; the enclave puts no secret in its command line.",
  enforcementLevel: "advisory",
  severity: "low",
  remediationSteps:
    "Nothing to do for a policy confcom generated: it has no option to turn this off, and hand-editing its output would make it a policy nobody generated. Keep secrets out of the enclave's command line and environment names.",
  validateResource: forTypes([AzureTypes.containerGroup], (props, args, report) => {
    if (!isConfidentialGroup(props)) return;
    const group = resourceLabel("container group", props, ["containerGroupName", "name"], args.name);
    for (const f of checkCcePolicy(props.confidentialComputeProperties?.ccePolicy, groupContainersOf(props))) {
      if (f.rule === "properties-access") report(`${group} ccePolicy (${f.rule}): ${f.message}.`);
    }
  }),
};

export const containerGroupPolicies = [aciCcePolicyLockedDown, aciCcePolicyPropertiesAccess];

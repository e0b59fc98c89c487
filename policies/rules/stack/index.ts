// Rules over the whole stack: relations between resources that no single resource shows.
import { stackCcePolicyHostdataPinned } from "./cce-hostdata.ts";
import { stackDedicatedAttestationPinsPolicyHash } from "./dedicated-policy-hash.ts";
import { stackEnclaveNoPrivilegedRoles } from "./enclave-roles.ts";
import { stackInputContainerOwnerWrites } from "./input-containers.ts";
import { stackPartyOwnVault } from "./party-vaults.ts";
import { stackReleasePolicyNamesStackEndpoint } from "./release-endpoint.ts";
import { stackReleaseRoleEnclaveOnly } from "./release-role.ts";

export const stackPolicies = [
  stackPartyOwnVault,
  stackReleasePolicyNamesStackEndpoint,
  stackDedicatedAttestationPinsPolicyHash,
  stackInputContainerOwnerWrites,
  stackReleaseRoleEnclaveOnly,
  stackEnclaveNoPrivilegedRoles,
  stackCcePolicyHostdataPinned,
];

// Every policy of the clean-room pack, in one array: policies/index.ts serves it to the Pulumi
// engine, the offline review (policies/review) evaluates it without one, and tests import it
// without starting the pack's gRPC server.
import { aksPolicies } from "./aks.ts";
import { containerGroupPolicies } from "./container-group.ts";
import { keyPolicies } from "./keys.ts";
import { keyVaultPolicies } from "./keyvault.ts";
import { kubernetesPolicies } from "./kubernetes.ts";
import type { CleanRoomPolicy } from "./policy.ts";
import { rbacPolicies } from "./rbac.ts";
import { stackPolicies } from "./stack/index.ts";
import { storagePolicies } from "./storage.ts";

export const PACK_NAME = "confidential-clean-room";
export const PACK_DESCRIPTION =
  "Security invariants of a confidential data clean room on Azure: Secure Key Release keys and vaults, storage, the confidential AKS pool, RBAC, the enclave workload and its confidential container policy.";

export const policies: CleanRoomPolicy[] = [
  ...keyVaultPolicies,
  ...keyPolicies,
  ...storagePolicies,
  ...aksPolicies,
  ...rbacPolicies,
  ...kubernetesPolicies,
  ...containerGroupPolicies,
  ...stackPolicies,
];

export { isStackPolicy, type CleanRoomPolicy, type CleanRoomResourcePolicy, type CleanRoomStackPolicy } from "./policy.ts";

// The package's entry for Pulumi's schema inference (the analyzer starts here and follows the
// exports): the components served to every language. Only package-facing classes belong here; the
// TypeScript library stays components/index.ts. The analyzer takes the first class of each name it
// meets walking the imports breadth-first, so these files, one import away, win over the TypeScript
// classes of the same names further down.
export { CleanRoom } from "./clean-room.ts";
export { Network } from "./network.ts";
export { Attestation } from "./attestation.ts";
export { PartyVault } from "./party-vault.ts";
export { SharedStorage } from "./storage.ts";
export { ConfidentialCluster } from "./cluster.ts";

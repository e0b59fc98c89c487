// Every party keeps its key-encryption key in a vault of its own: a shared vault would let one
// party's administrators manage (disable, delete, re-grant) another party's key.
import type { CleanRoomStackPolicy } from "../policy.ts";
import { blobContainersOf, contractsOf, keysOf, vaultOfKeyId, vaultsOf } from "./model.ts";

export const stackPartyOwnVault: CleanRoomStackPolicy = {
  name: "stack-party-own-vault",
  description:
    "Every party (from the contract, the input containers and the vaults' owners) has its own Key Vault, and no vault holds the keys of two parties.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Give each party its own PartyVault (one vault per party, optionally in the party's subscription) and point each party's kek.keyId in the contract at its own vault.",
  validateStack: (args, report) => {
    const vaults = vaultsOf(args.resources);
    const keys = keysOf(args.resources, vaults);
    const contracts = contractsOf(args.resources);
    const inputContainers = blobContainersOf(args.resources).filter((c) => c.inputOf !== undefined);

    // vault name -> parties that keep a key there or own it
    const partiesOfVault = new Map<string, Set<string>>();
    const note = (vault: string | undefined, party: string | undefined) => {
      if (!vault || !party) return;
      if (!partiesOfVault.has(vault)) partiesOfVault.set(vault, new Set());
      partiesOfVault.get(vault)!.add(party);
    };
    for (const v of vaults) note(v.name, v.party);
    for (const k of keys) note(k.vault, k.party);
    for (const c of contracts) for (const p of c.parties) note(vaultOfKeyId(p.keyId), p.name);

    const parties = new Set<string>([
      ...contracts.flatMap((c) => c.parties.map((p) => p.name)),
      ...inputContainers.map((c) => c.inputOf!),
      ...[...partiesOfVault.values()].flatMap((s) => [...s]),
    ]);
    if (parties.size === 0) args.notApplicable("the stack names no parties (no contract, input containers or party vaults)");

    const stackVaults = new Set(vaults.map((v) => v.name));
    for (const party of [...parties].sort()) {
      const own = [...partiesOfVault.entries()].filter(([vault, owners]) => owners.has(party) && stackVaults.has(vault)).map(([vault]) => vault);
      if (own.length === 0) {
        const where = inputContainers.find((c) => c.inputOf === party)?.resource.urn;
        report(`party "${party}" has no Key Vault of its own in this stack; its key-encryption key must live in a vault only it administers.`, where);
      }
    }
    for (const [vault, owners] of partiesOfVault) {
      if (owners.size < 2) continue;
      const resource = vaults.find((v) => v.name === vault)?.resource ?? keys.find((k) => k.vault === vault)?.resource;
      report(
        `Key Vault "${vault}" holds the keys of several parties (${[...owners].sort().join(", ")}); each party needs a vault of its own.`,
        resource?.urn,
      );
    }
  },
};

// One rule for the minimum group size k, asked by every phase and process: the components before a
// contract exists, the contract schema, the enclave's privacy guard and the receipt format agree on
// every value.
import { describe, expect, it } from "vitest";
import { planCleanRoom, validateCleanRoomArgs } from "../../components/index.ts";
import { MIN_GROUP_SIZE, minGroupSizeProblem, validateContract } from "../../enclave-app/src/protocol/index.ts";
import { receiptSchema } from "../../enclave-app/src/receipt/format.ts";
import { applyPrivacyRules } from "../../enclave-app/src/runtime/privacy/guard.ts";
import { completeArgs } from "../components/fixtures.ts";

const VALUES = [-1, 0, 1, 1.5, 2, 3, 10, 1000] as const;

describe("the k rule", () => {
  it.each(VALUES)("k = %s: accepted everywhere or refused everywhere", (k) => {
    const allowed = minGroupSizeProblem(k) === undefined;
    expect(allowed).toBe(Number.isInteger(k) && k >= MIN_GROUP_SIZE);

    const args = completeArgs();
    const withK = { ...args, privacy: { ...args.privacy, minGroupSize: k } };
    const componentsAllow = !validateCleanRoomArgs(withK).some((i) => i.path === "privacy.minGroupSize");
    expect(componentsAllow, "components").toBe(allowed);

    const contract = planCleanRoom(args).contract!;
    const contractAllows = validateContract({ ...contract, privacy: { ...contract.privacy, minGroupSize: k } }).ok;
    expect(contractAllows, "contract schema").toBe(allowed);

    const guardAllows = (() => {
      try {
        applyPrivacyRules({ columns: [{ name: "n", type: "BIGINT" }], rows: [] }, { minGroupSize: k, countColumn: "n", allowedColumns: ["n"] });
        return true;
      } catch {
        return false;
      }
    })();
    expect(guardAllows, "privacy guard").toBe(allowed);

    const receiptAllows = receiptSchema.shape.privacy.safeParse({ minGroupSize: k, countColumn: "n", rowsReleased: 0, rowsSuppressed: 0 }).success;
    expect(receiptAllows, "receipt format").toBe(allowed);
  });
});

import { describe, expect, it } from "vitest";
import { argsPathOfContractPath, buildContract } from "../../components/contract-from-args.ts";
import { planCleanRoom, validateCleanRoomArgs, type CleanRoomArgs } from "../../components/plan.ts";
import { ComponentArgsError } from "../../components/validation.ts";
import { validateContract } from "../../enclave-app/src/protocol/index.ts";
import { completeArgs, phase1Args } from "./fixtures.ts";

describe("argsPathOfContractPath", () => {
  it("maps each contract field to the argument that sets it, keeping indices", () => {
    expect(argsPathOfContractPath("parties[1].kek.publicKey")).toBe("parties[1].kekPublicKey");
    expect(argsPathOfContractPath("parties[1].kek.publicKey.n")).toBe("parties[1].kekPublicKey.n");
    expect(argsPathOfContractPath("parties[0].kek.keyId")).toBe("parties[0].vaultName");
    expect(argsPathOfContractPath("datasets[3].blobPath")).toBe("datasets[3].blobName");
    expect(argsPathOfContractPath("datasets[3].schema[2].type")).toBe("datasets[3].schema[2].type");
    expect(argsPathOfContractPath("enclave.image")).toBe("enclaveImage");
    expect(argsPathOfContractPath("attestation.hostdata")).toBe("enclave.ccePolicy");
    expect(argsPathOfContractPath("attestation.mode")).toBe("isolationMode");
    expect(argsPathOfContractPath("attestation.authority")).toBe("location");
    expect(argsPathOfContractPath("recipients[1]")).toBe("recipients[1]");
    expect(argsPathOfContractPath("privacy.countColumn")).toBe("privacy.countColumn");
    expect(argsPathOfContractPath("version")).toBe("");
  });

  it("matches whole segments only", () => {
    expect(argsPathOfContractPath("enclaveX")).toBe("enclaveX");
    expect(argsPathOfContractPath("parties[0].kekX")).toBe("parties[0].kekX");
  });
});

describe("buildContract", () => {
  it("is a draft the protocol accepts while keys and digests are missing", () => {
    const draft = buildContract(phase1Args());
    expect(draft.parties.every((p) => p.signingKey === undefined && p.kek === undefined)).toBe(true);
    expect("attestation" in draft).toBe(false);
    expect(validateContract(draft, { phase: "draft" }).ok).toBe(true);
  });

  it("carries an owner's analysis rules into the contract, where the contract's rules check them", () => {
    const args = phase1Args();
    const column = args.datasets[0]!.schema[0]!.name;
    args.datasets[0]!.analysis = { privacyUnit: column, dimensions: [column] };
    const draft = buildContract(args);
    expect(draft.datasets[0]!.analysis).toEqual({ privacyUnit: column, dimensions: [column] });
    const result = validateContract(draft, { phase: "draft" });
    expect(result.ok ? [] : result.issues.map((i) => `${i.path}:${i.rule}`)).toEqual(["datasets[0].analysis.dimensions[0]:unit-as-dimension"]);
  });

  it("does not throw on arguments of the wrong kind: the schema reports them", () => {
    const broken = { ...phase1Args(), parties: "bank" as never, datasets: [null as never], privacy: 3 as never, recipients: undefined as never };
    const result = validateContract(buildContract(broken), { phase: "draft" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => `${i.path}:${i.rule}`)).toEqual(expect.arrayContaining(["parties:type", "datasets[0]:type", "privacy:type", "recipients:required"]));
  });
});

// The contract's rules serve both phases: a mistake is reported with the same rule at the same
// argument whether the parties' keys and digests are already there or not.
describe("the contract's rules, before and after keys and digests exist", () => {
  const mistakes: [string, (a: CleanRoomArgs) => void, string][] = [
    ["k = 1", (a) => (a.privacy.minGroupSize = 1), "privacy.minGroupSize:k-too-small"],
    ["an unknown recipient", (a) => a.recipients.push("regulator"), "recipients[2]:unknown-recipient"],
    ["a duplicate recipient", (a) => a.recipients.push(a.recipients[0]!), "recipients[2]:duplicate-recipient"],
    ["a dataset of nobody", (a) => (a.datasets[0]!.owner = "nobody"), "datasets[0].owner:unknown-party"],
    ["two datasets of one name", (a) => (a.datasets[1]!.name = a.datasets[0]!.name), "datasets[1].name:duplicate-dataset"],
    ["an unsupported column type", (a) => (a.datasets[0]!.schema[0]!.type = "TEXT"), "datasets[0].schema[0].type:bad-column-type"],
    ["a blob name with an empty segment", (a) => (a.datasets[0]!.blobName = "a//b"), "datasets[0].blobName:bad-blob-path"],
    ["a count column not released", (a) => (a.privacy.countColumn = "total"), "privacy.countColumn:count-column-not-allowed"],
    ["an empty query", (a) => (a.sql = " "), "sql:empty-sql"],
    ["an image by tag", (a) => (a.enclaveImage = "ghcr.io/example/enclave:1.0"), "enclaveImage:image-not-pinned"],
    ["one party", (a) => a.parties.pop(), "parties:too-few-parties"],
  ];

  const issuesOf = (args: CleanRoomArgs) => {
    try {
      planCleanRoom(args);
      return [];
    } catch (err) {
      if (!(err instanceof ComponentArgsError)) throw err;
      return err.issues.map((i) => `${i.path}:${i.rule}`);
    }
  };

  it.each(mistakes)("%s", (_, mutate, expected) => {
    const early = phase1Args();
    const late = completeArgs();
    mutate(early);
    mutate(late);
    const before = issuesOf(early);
    const after = issuesOf(late);
    expect(before).toContain(expected);
    expect(after).toContain(expected);
    // Reported once: no second, component-side copy of the rule under another id or path.
    expect(before.filter((i) => i.startsWith(expected.split(":")[0]! + ":"))).toEqual([expected]);
  });

  it("reports a path once when a stricter component rule names it (the party name's Azure naming)", () => {
    const args = phase1Args();
    args.parties[0]!.name = "Bank";
    expect(validateCleanRoomArgs(args).filter((i) => i.path === "parties[0].name").map((i) => i.rule)).toEqual(["party-name"]);
  });
});

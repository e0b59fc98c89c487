import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ContractValidationError,
  parseContract,
  requiredApprovers,
  validateContract,
  type ValidationIssue,
} from "../../enclave-app/src/protocol/index.ts";
import { rawFraudContract, signingKey } from "./fixtures.ts";

type Raw = Record<string, any>;

function issuesOf(mutate: (c: Raw) => void): ValidationIssue[] {
  const c = rawFraudContract();
  mutate(c);
  const result = validateContract(c);
  if (result.ok) throw new Error("expected the contract to be invalid");
  return result.issues;
}

const weakRsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" });
const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey.export({ format: "jwk" });
const ecKek = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
const HOSTDATA = "a".repeat(64);

describe("validateContract", () => {
  it("accepts the fraud-detection fixture and returns it unchanged", () => {
    const raw = rawFraudContract();
    const result = validateContract(raw);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.contract).toEqual(rawFraudContract());
  });

  it("accepts a third party that is neither owner nor recipient, and a DECIMAL with spaces", () => {
    const c = rawFraudContract();
    c.parties.push({ ...structuredClone(c.parties[1]), name: "regulator" });
    c.datasets[0].schema[3].type = "DECIMAL(18, 2)";
    expect(validateContract(c).ok).toBe(true);
  });

  it("accepts a confidential-container contract with hostdata", () => {
    const c = rawFraudContract();
    c.attestation = { authority: "https://myattest.weu.attest.azure.net", mode: "confidential-container", hostdata: HOSTDATA };
    expect(validateContract(c).ok).toBe(true);
  });

  it("accepts limits, each optional, and a contract without them", () => {
    for (const limits of [{}, { timeoutSeconds: 60 }, { maxRows: 1, maxBytes: 8 * 1024 ** 3 }, { timeoutSeconds: 86400, maxRows: 100_000_000, maxBytes: 1 }]) {
      const c = rawFraudContract();
      c.limits = limits;
      expect(validateContract(c).ok, JSON.stringify(limits)).toBe(true);
    }
    expect("limits" in rawFraudContract()).toBe(false);
  });

  it.each([
    ["timeoutSeconds", 0],
    ["timeoutSeconds", 86401],
    ["maxRows", 2.5],
    ["maxBytes", "1GB"],
    ["maxBytes", 8 * 1024 ** 3 + 1],
  ] as const)("refuses limits.%s = %j, naming the field and its range", (field, value) => {
    const issues = issuesOf((c) => (c.limits = { [field]: value }));
    expect(issues).toEqual([{ path: `limits.${field}`, rule: "limit-out-of-range", message: expect.stringMatching(new RegExp(`^limits\\.${field} must be an integer from 1 to \\d+ \\(\\w+\\); got `)) }]);
  });

  it("refuses an unknown field in limits", () => {
    expect(issuesOf((c) => (c.limits = { timeout: 5 }))).toEqual([expect.objectContaining({ path: "limits.timeout", rule: "unknown-field" })]);
  });

  const cases: [string, (c: Raw) => void, string, string][] = [
    ["unsupported version", (c) => (c.version = "2.0"), "version", "unsupported-version"],
    ["bad collaboration name", (c) => (c.collaboration = "Fraud Detection"), "collaboration", "bad-name"],
    ["bad party name", (c) => (c.parties[0].name = "Bank"), "parties[0].name", "bad-name"],
    ["duplicate party", (c) => (c.parties[1].name = "bank"), "parties[1].name", "duplicate-party"],
    ["fewer than two parties", (c) => c.parties.pop(), "parties", "too-few-parties"],
    ["signing key on P-384", (c) => (c.parties[0].signingKey = p384), "parties[0].signingKey", "bad-jwk"],
    ["RSA signing key below 2048 bits", (c) => (c.parties[1].signingKey = weakRsa), "parties[1].signingKey", "weak-key"],
    ["signing key that is not a key", (c) => (c.parties[0].signingKey.x = "AAAA"), "parties[0].signingKey", "bad-jwk"],
    ["signing key alg that contradicts the key", (c) => (c.parties[0].signingKey.alg = "RS256"), "parties[0].signingKey", "bad-jwk"],
    ["KEK that is not RSA", (c) => (c.parties[1].kek.publicKey = ecKek), "parties[1].kek.publicKey", "bad-jwk"],
    ["KEK below 2048 bits", (c) => (c.parties[1].kek.publicKey = weakRsa), "parties[1].kek.publicKey", "weak-key"],
    ["KEK id over http", (c) => (c.parties[0].kek.keyId = "http://kv.vault.azure.net/keys/k"), "parties[0].kek.keyId", "bad-key-id"],
    ["KEK id without /keys/", (c) => (c.parties[0].kek.keyId = "https://kv.vault.azure.net/secrets/k"), "parties[0].kek.keyId", "bad-key-id"],
    ["unknown field in a party", (c) => (c.parties[0].nickname = "b"), "parties[0].nickname", "unknown-field"],
    ["no datasets", (c) => (c.datasets = []), "datasets", "no-datasets"],
    ["dataset owned by a non-party", (c) => (c.datasets[1].owner = "auditor"), "datasets[1].owner", "unknown-party"],
    ["duplicate dataset (case-insensitive)", (c) => (c.datasets[1].name = "bank_transactions"), "datasets[1].name", "duplicate-dataset"],
    ["bad dataset name", (c) => (c.datasets[0].name = "bank-tx"), "datasets[0].name", "bad-name"],
    ["duplicate column (case-insensitive)", (c) => (c.datasets[0].schema[1].name = "Customer_Ref"), "datasets[0].schema[1].name", "duplicate-column"],
    ["unsupported column type", (c) => (c.datasets[0].schema[0].type = "TEXT"), "datasets[0].schema[0].type", "bad-column-type"],
    ["DECIMAL precision above 38", (c) => (c.datasets[0].schema[3].type = "DECIMAL(40,2)"), "datasets[0].schema[3].type", "bad-column-type"],
    ["empty schema", (c) => (c.datasets[0].schema = []), "datasets[0].schema", "empty-schema"],
    ["blobPath without container", (c) => (c.datasets[0].blobPath = "transactions.csv"), "datasets[0].blobPath", "bad-blob-path"],
    ["blobPath with bad container", (c) => (c.datasets[0].blobPath = "Input_Bank/t.csv"), "datasets[0].blobPath", "bad-blob-path"],
    ["blobPath with ..", (c) => (c.datasets[0].blobPath = "input-bank/../t.csv"), "datasets[0].blobPath", "bad-blob-path"],
    ["unknown format", (c) => (c.datasets[0].format = "json"), "datasets[0].format", "invalid-value"],
    ["upper-case digest", (c) => (c.datasets[0].ciphertextSha256 = "A".repeat(64)), "datasets[0].ciphertextSha256", "bad-hex"],
    ["short digest", (c) => (c.datasets[0].ciphertextSha256 = "ab"), "datasets[0].ciphertextSha256", "bad-hex"],
    ["negative plaintextLength", (c) => (c.datasets[0].plaintextLength = -1), "datasets[0].plaintextLength", "bad-length"],
    ["fractional plaintextLength", (c) => (c.datasets[0].plaintextLength = 10.5), "datasets[0].plaintextLength", "bad-length"],
    ["empty SQL", (c) => (c.sql = "  \n "), "sql", "empty-sql"],
    ["missing SQL", (c) => delete c.sql, "sql", "required"],
    ["SQL over the length cap", (c) => (c.sql = `SELECT 1 ${"-".repeat(256 * 1024)}`), "sql", "sql-too-long"],
    ["k = 1", (c) => (c.privacy.minGroupSize = 1), "privacy.minGroupSize", "k-too-small"],
    ["fractional k", (c) => (c.privacy.minGroupSize = 2.5), "privacy.minGroupSize", "k-not-integer"],
    ["k as a string", (c) => (c.privacy.minGroupSize = "10"), "privacy.minGroupSize", "type"],
    ["count column not allowed", (c) => (c.privacy.countColumn = "n"), "privacy.countColumn", "count-column-not-allowed"],
    ["duplicate allowed column", (c) => c.privacy.allowedColumns.push("Region"), "privacy.allowedColumns[3]", "duplicate-allowed-column"],
    ["empty allowed column", (c) => c.privacy.allowedColumns.push(""), "privacy.allowedColumns[3]", "empty-allowed-column"],
    ["no allowed columns", (c) => (c.privacy.allowedColumns = []), "privacy.allowedColumns", "no-allowed-columns"],
    ["blank count column", (c) => (c.privacy.countColumn = " "), "privacy.countColumn", "empty-column"],
    ["dataset without owner", (c) => delete c.datasets[0].owner, "datasets[0].owner", "required"],
    ["unknown recipient", (c) => c.recipients.push("auditor"), "recipients[2]", "unknown-recipient"],
    ["duplicate recipient", (c) => c.recipients.push("bank"), "recipients[2]", "duplicate-recipient"],
    ["no recipients", (c) => (c.recipients = []), "recipients", "no-recipients"],
    ["image by tag", (c) => (c.enclave.image = "cleanroomregistry.azurecr.io/cleanroom/enclave:1.0.0"), "enclave.image", "image-not-pinned"],
    ["image digest in upper case", (c) => (c.enclave.image = `r.io/e@sha256:${"A".repeat(64)}`), "enclave.image", "image-not-pinned"],
    ["authority over http", (c) => (c.attestation.authority = "http://sharedweu.weu.attest.azure.net"), "attestation.authority", "authority-not-https"],
    ["authority with a path", (c) => (c.attestation.authority = "https://sharedweu.weu.attest.azure.net/attest"), "attestation.authority", "bad-authority"],
    ["unknown mode", (c) => (c.attestation.mode = "sgx"), "attestation.mode", "invalid-value"],
    [
      "confidential-container without hostdata",
      (c) => (c.attestation = { authority: "https://a.weu.attest.azure.net", mode: "confidential-container" }),
      "attestation.hostdata",
      "hostdata-required",
    ],
    ["confidential-node with hostdata", (c) => (c.attestation.hostdata = HOSTDATA), "attestation.hostdata", "hostdata-forbidden"],
    [
      "malformed hostdata",
      (c) => (c.attestation = { authority: "https://a.weu.attest.azure.net", mode: "confidential-container", hostdata: "xyz" }),
      "attestation.hostdata",
      "bad-hex",
    ],
    ["missing attestation", (c) => delete c.attestation, "attestation", "required"],
    ["unknown top-level field", (c) => (c.approvals = {}), "approvals", "unknown-field"],
  ];

  it.each(cases)("rejects %s", (_name, mutate, path, rule) => {
    const issues = issuesOf(mutate);
    expect(issues).toContainEqual(expect.objectContaining({ path, rule }));
    for (const issue of issues) expect(issue.message.length).toBeGreaterThan(10);
  });

  it("reports private key material as a serious mistake without echoing it", () => {
    const secret = signingKey("bank");
    const issues = issuesOf((c) => (c.parties[0].signingKey = secret));
    const issue = issues.find((i) => i.rule === "private-key-material");
    expect(issue).toMatchObject({ path: "parties[0].signingKey" });
    expect(issue!.message).toMatch(/serious/);
    expect(JSON.stringify(issues)).not.toContain(secret.d as string);
  });

  it("finds a leaked private KEK and a PEM private key pasted anywhere", () => {
    const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }) as string;
    const issues = issuesOf((c) => {
      c.parties[1].kek.publicKey.d = "c2VjcmV0";
      c.sql = `SELECT 1 -- ${pem}`;
    });
    expect(issues).toContainEqual(expect.objectContaining({ path: "parties[1].kek.publicKey", rule: "private-key-material" }));
    expect(issues).toContainEqual(expect.objectContaining({ path: "sql", rule: "private-key-material" }));
    expect(JSON.stringify(issues)).not.toContain("BEGIN PRIVATE KEY");
  });

  it("reports all problems at once, including cross-field ones next to shape errors", () => {
    const issues = issuesOf((c) => {
      c.version = "0.9";
      c.parties[0].signingKey = "not a key";
      c.datasets[1].owner = "auditor";
      c.datasets[0].plaintextLength = -5;
      c.privacy.minGroupSize = 1;
      c.recipients.push("nobody");
      c.enclave.image = "enclave:latest";
      c.attestation.hostdata = HOSTDATA;
    });
    const found = issues.map((i) => `${i.path}:${i.rule}`);
    expect(found).toEqual(
      expect.arrayContaining([
        "version:unsupported-version",
        "parties[0].signingKey:type",
        "datasets[1].owner:unknown-party",
        "datasets[0].plaintextLength:bad-length",
        "privacy.minGroupSize:k-too-small",
        "recipients[2]:unknown-recipient",
        "enclave.image:image-not-pinned",
        "attestation.hostdata:hostdata-forbidden",
      ]),
    );
    expect(issues).toHaveLength(8);
  });

  it("rejects input that is not an object", () => {
    for (const input of [null, [], "contract", 42]) {
      const result = validateContract(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues[0]).toMatchObject({ path: "", rule: "type" });
    }
  });
});

describe("parseContract", () => {
  it("returns the contract when valid", () => {
    expect(parseContract(rawFraudContract()).collaboration).toBe("fraud-detection");
  });

  it("throws ContractValidationError with code CONTRACT_INVALID listing every issue", () => {
    const c = rawFraudContract();
    c.sql = "";
    c.datasets[0].owner = "ghost";
    try {
      parseContract(c);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ContractValidationError);
      const e = err as ContractValidationError;
      expect(e.code).toBe("CONTRACT_INVALID");
      expect(e.issues.map((i) => i.rule).sort()).toEqual(["empty-sql", "unknown-party"]);
      expect(e.message).toContain("datasets[0].owner");
    }
  });
});

describe("validateContract in draft phase (before keys, digests and the derived fields exist)", () => {
  function draftOf(c: Raw): Raw {
    for (const p of c.parties) delete p.signingKey, delete p.kek;
    for (const d of c.datasets) delete d.ciphertextSha256, delete d.plaintextLength;
    delete c.attestation;
    return c;
  }

  it("accepts a draft without keys, digests, key ids and attestation, which the final phase requires", () => {
    expect(validateContract(draftOf(rawFraudContract()), { phase: "draft" }).ok).toBe(true);
    const final = validateContract(draftOf(rawFraudContract()));
    expect(final.ok).toBe(false);
    if (!final.ok) {
      expect(new Set(final.issues.map((i) => `${i.path.replace(/\[\d+\]/g, "[]")}:${i.rule}`))).toEqual(
        new Set(["parties[].signingKey:required", "parties[].kek:required", "datasets[].ciphertextSha256:required", "datasets[].plaintextLength:required", "attestation:required"]),
      );
    }
  });

  it("applies every other rule, and checks the later fields once they are given", () => {
    const c = draftOf(rawFraudContract());
    c.datasets[0].schema[0].type = "TEXT";
    c.datasets[1].name = c.datasets[0].name.toUpperCase();
    c.privacy.minGroupSize = 1;
    c.parties[0].signingKey = { ...signingKey("bank"), d: "secret" };
    c.parties[1].kek = { publicKey: weakRsa };
    c.datasets[0].plaintextLength = -1;
    const result = validateContract(c, { phase: "draft" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => `${i.path}:${i.rule}`)).toEqual(
        expect.arrayContaining([
          "datasets[0].schema[0].type:bad-column-type",
          "datasets[1].name:duplicate-dataset",
          "privacy.minGroupSize:k-too-small",
          "parties[0].signingKey:private-key-material",
          "parties[1].kek.publicKey:weak-key",
          "datasets[0].plaintextLength:bad-length",
        ]),
      );
    }
  });
});

describe("requiredApprovers", () => {
  it("is every dataset owner, once, sorted", () => {
    const c = rawFraudContract();
    c.datasets.push({ ...structuredClone(c.datasets[0]), name: "bank_accounts" });
    c.datasets.reverse();
    expect(requiredApprovers(parseContract(c))).toEqual(["bank", "insurer"]);
    c.datasets = c.datasets.filter((d: Raw) => d.owner === "bank");
    expect(requiredApprovers(parseContract(c))).toEqual(["bank"]);
  });
});

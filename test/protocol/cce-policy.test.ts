import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CcePolicyEncodingError, ccePolicyHostdata, decodeCcePolicy } from "../../enclave-app/src/protocol/index.ts";

const REGO = 'package policy\n\napi_version := "0.10.0"\n';
const B64 = Buffer.from(REGO, "utf8").toString("base64");

describe("CCE policy", () => {
  it("hostdata is the sha256 of the decoded policy text, as the SEV-SNP report's HOST_DATA", () => {
    expect(ccePolicyHostdata(B64)).toBe(createHash("sha256").update(REGO, "utf8").digest("hex"));
    expect(decodeCcePolicy(B64)).toBe(REGO);
  });

  it("changes with any byte of the policy", () => {
    expect(ccePolicyHostdata(Buffer.from(REGO + " ").toString("base64"))).not.toBe(ccePolicyHostdata(B64));
  });

  it("refuses what is not canonical base64 of UTF-8, naming the rule", () => {
    for (const bad of ["", "not base64!", B64.slice(0, -1), Buffer.from([0xff, 0xfe, 0xfd]).toString("base64"), B64.replace(/=+$/, "")]) {
      expect(() => ccePolicyHostdata(bad), JSON.stringify(bad)).toThrow(CcePolicyEncodingError);
    }
  });
});

// confidential-container mode locally: the simulated container policy, and the local attester
// reporting the hash of the policy it was started with (not the contract's pin) in a
// container-shaped token.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeContainerPolicy } from "../../enclave-app/src/demo/container-policy.ts";
import { LOCAL_ENCLAVE_IMAGE } from "../../enclave-app/src/demo/contract.ts";
import { startAttestationAuthority, type LocalAttestationAuthority } from "../../enclave-app/src/local/attestation-authority.ts";
import { createLocalCa } from "../../enclave-app/src/local/ca.ts";
import { ccePolicyHostdata, ENCLAVE_COMMAND } from "../../enclave-app/src/protocol/index.ts";

const SIGNERS = `bank=${"a".repeat(43)},insurer=${"b".repeat(43)}`;
import { LocalAttester } from "../../enclave-app/src/runtime/attest/local.ts";

let dir: string;
let authority: LocalAttestationAuthority;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cleanroom-ccepolicy-"));
  authority = await startAttestationAuthority({ ca: await createLocalCa() });
});

afterAll(async () => {
  await authority?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the simulated container policy", () => {
  it("is az confcom-shaped Rego naming the enclave image and command, marked simulated, and its hostdata is sha256 of the decoded policy", async () => {
    const policy = await writeContainerPolicy(dir, LOCAL_ENCLAVE_IMAGE, { partySigners: SIGNERS });
    expect(policy.rego).toMatch(/^# SIMULATED confidential container security policy/);
    expect(policy.rego).toMatch(/^package policy$/m);
    expect(policy.rego).toContain(`"id": ${JSON.stringify(LOCAL_ENCLAVE_IMAGE)}`);
    expect(policy.rego).toContain(`"command": ${JSON.stringify(ENCLAVE_COMMAND)}`);
    expect(await readFile(policy.file, "utf8")).toBe(policy.rego);
    expect(Buffer.from(policy.base64, "base64").toString("utf8")).toBe(policy.rego);
    expect(policy.hostdata).toBe(createHash("sha256").update(policy.rego, "utf8").digest("hex"));
    expect(ccePolicyHostdata(policy.base64)).toBe(policy.hostdata);
    const tampered = await writeContainerPolicy(dir, LOCAL_ENCLAVE_IMAGE, { partySigners: SIGNERS, tampered: true });
    expect(tampered.hostdata).not.toBe(policy.hostdata);
    expect(tampered.rego).toMatch(/allow_dump_stacks := true/);
    // The parties' signing keys are part of what is measured: other signers, another hostdata.
    expect(policy.rego).toContain(`"pattern": "CLEANROOM_PARTY_SIGNERS=${SIGNERS}", "strategy": "string"`);
    const otherSigners = await writeContainerPolicy(dir, LOCAL_ENCLAVE_IMAGE, { partySigners: `bank=${"c".repeat(43)},insurer=${"b".repeat(43)}` });
    expect(otherSigners.hostdata).not.toBe(policy.hostdata);
  });
});

describe("LocalAttester in confidential-container mode", () => {
  it("reports the hostdata of the policy it was started with in a container-shaped token", async () => {
    const policy = await writeContainerPolicy(dir, LOCAL_ENCLAVE_IMAGE, { partySigners: SIGNERS });
    const attester = new LocalAttester({ authority, mode: "confidential-container", ccePolicy: policy.base64, hostdata: "f".repeat(64) });
    const { claims } = await attester.attest({});
    expect(claims).toMatchObject({
      "x-ms-attestation-type": "sevsnpvm",
      "x-ms-compliance-status": "azure-compliant-uvm",
      "x-ms-sevsnpvm-hostdata": policy.hostdata,
      "x-ms-sevsnpvm-is-debuggable": false,
      "x-cleanroom-simulated": true,
    });
    expect(claims["x-ms-isolation-tee"]).toBeUndefined();
  });
});

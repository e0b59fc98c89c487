// The Job environment -> typed configuration; every problem names its variable.
import { describe, expect, it } from "vitest";
import { readConfig } from "../../enclave-app/src/runtime/config.ts";
import { ConfigError } from "../../enclave-app/src/runtime/errors.ts";

const JOB_ENV = {
  CLEANROOM_CONTRACT: "/etc/cleanroom/contract.json",
  CLEANROOM_APPROVALS: "/etc/cleanroom/approvals.json",
  CLEANROOM_STORAGE_URL: "https://crbankinsurer.blob.core.windows.net",
  CLEANROOM_OUTPUT_CONTAINER: "output",
  CLEANROOM_ATTESTER: "cvm-skr",
  CLEANROOM_MAA_ENDPOINT: "https://sharedweu.weu.attest.azure.net/",
  CLEANROOM_SCRATCH_DIR: "/scratch",
  CLEANROOM_RUN_ID: "cleanroom-run-5f2a",
  CLEANROOM_MEMORY_LIMIT: "6GB",
  IMDS_CLIENT_ID: "00000000-0000-0000-0000-000000000001",
};

const SIGNERS = `bank=${"a".repeat(43)},insurer=${"b".repeat(43)}`;

function variableOf(env: Record<string, string | undefined>): string | undefined {
  try {
    readConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.variable;
    throw err;
  }
  return undefined;
}

describe("readConfig", () => {
  it("reads the environment the Job sets", () => {
    expect(readConfig(JOB_ENV)).toEqual({
      contractPath: "/etc/cleanroom/contract.json",
      approvalsPath: "/etc/cleanroom/approvals.json",
      storageUrl: "https://crbankinsurer.blob.core.windows.net",
      outputContainer: "output",
      attester: "cvm-skr",
      maaEndpoint: "https://sharedweu.weu.attest.azure.net",
      scratchDir: "/scratch",
      runId: "cleanroom-run-5f2a",
      memoryLimit: "6GB",
      imdsClientId: "00000000-0000-0000-0000-000000000001",
    });
  });

  it("names the missing or malformed variable", () => {
    const { CLEANROOM_RUN_ID: _r, ...noRunId } = JOB_ENV;
    expect(variableOf(noRunId)).toBe("CLEANROOM_RUN_ID");
    expect(variableOf({ ...JOB_ENV, CLEANROOM_ATTESTER: "tpm" })).toBe("CLEANROOM_ATTESTER");
    expect(variableOf({ ...JOB_ENV, CLEANROOM_STORAGE_URL: "http://crbankinsurer.blob.core.windows.net" })).toBe("CLEANROOM_STORAGE_URL");
    expect(variableOf({ ...JOB_ENV, CLEANROOM_OUTPUT_CONTAINER: "Output_Container" })).toBe("CLEANROOM_OUTPUT_CONTAINER");
    expect(variableOf({ ...JOB_ENV, CLEANROOM_MEMORY_LIMIT: "lots" })).toBe("CLEANROOM_MEMORY_LIMIT");
    expect(variableOf({ ...JOB_ENV, CLEANROOM_SCRATCH_DIR: "scratch" })).toBe("CLEANROOM_SCRATCH_DIR");
    expect(variableOf({ ...JOB_ENV, CLEANROOM_THREADS: "0" })).toBe("CLEANROOM_THREADS");
  });

  it("requires IMDS_CLIENT_ID for AzureAttestSKR, not for the sidecar", () => {
    const { IMDS_CLIENT_ID: _i, ...noImds } = JOB_ENV;
    expect(variableOf(noImds)).toBe("IMDS_CLIENT_ID");
    expect(readConfig({ ...noImds, CLEANROOM_ATTESTER: "sidecar", CLEANROOM_SIDECAR_URL: "http://localhost:8080", CLEANROOM_PARTY_SIGNERS: SIGNERS }).sidecarUrl).toBe("http://localhost:8080");
  });

  it("requires the pinned party signers with the sidecar (confidential-container mode) and refuses a malformed list", () => {
    const sidecar = { ...JOB_ENV, CLEANROOM_ATTESTER: "sidecar" };
    expect(variableOf(sidecar)).toBe("CLEANROOM_PARTY_SIGNERS");
    expect(readConfig({ ...sidecar, CLEANROOM_PARTY_SIGNERS: SIGNERS }).partySigners).toEqual({ bank: "a".repeat(43), insurer: "b".repeat(43) });
    for (const bad of ["bank", "bank=short", `bank=${"a".repeat(43)},bank=${"b".repeat(43)}`, `Bank=${"a".repeat(43)}`, `bank=${"a".repeat(43)}=x`]) {
      expect(variableOf({ ...sidecar, CLEANROOM_PARTY_SIGNERS: bad }), bad).toBe("CLEANROOM_PARTY_SIGNERS");
    }
  });

  it("needs the local CA and the Azurite connection for the local attester", () => {
    expect(variableOf({ ...JOB_ENV, CLEANROOM_ATTESTER: "local" })).toBe("CLEANROOM_LOCAL_CA_FILE");
    const local = readConfig({
      ...JOB_ENV,
      CLEANROOM_ATTESTER: "local",
      CLEANROOM_STORAGE_URL: "http://127.0.0.1:10000/devstoreaccount1",
      CLEANROOM_LOCAL_CA_FILE: "/tmp/ca.pem",
      CLEANROOM_STORAGE_CONNECTION_STRING: "UseDevelopmentStorage=true",
    });
    expect(local).toMatchObject({ attester: "local", localCaFile: "/tmp/ca.pem", localPrincipal: "enclave" });
    const withPolicy = readConfig({
      ...JOB_ENV,
      CLEANROOM_ATTESTER: "local",
      CLEANROOM_STORAGE_URL: "http://127.0.0.1:10000/devstoreaccount1",
      CLEANROOM_LOCAL_CA_FILE: "/tmp/ca.pem",
      CLEANROOM_STORAGE_CONNECTION_STRING: "UseDevelopmentStorage=true",
      CLEANROOM_LOCAL_CCE_POLICY_FILE: "/tmp/ccepolicy.b64",
    });
    expect(withPolicy.localCcePolicyFile).toBe("/tmp/ccepolicy.b64");
  });

  it("reads the bound of the 403 (role propagation) retries", () => {
    expect(readConfig({ ...JOB_ENV, CLEANROOM_AUTHZ_RETRY_SECONDS: "600" }).authorizationRetrySeconds).toBe(600);
    expect(readConfig({ ...JOB_ENV, CLEANROOM_AUTHZ_RETRY_SECONDS: "0" }).authorizationRetrySeconds).toBe(0);
    expect(variableOf({ ...JOB_ENV, CLEANROOM_AUTHZ_RETRY_SECONDS: "5m" })).toBe("CLEANROOM_AUTHZ_RETRY_SECONDS");
    expect(variableOf({ ...JOB_ENV, CLEANROOM_AUTHZ_RETRY_SECONDS: "7200" })).toBe("CLEANROOM_AUTHZ_RETRY_SECONDS");
  });
});

// The bounded retry for 403s of role assignments that have not propagated yet: exponential backoff
// with jitter, bounded by elapsed time, only for the refusals time heals.
import { describe, expect, it } from "vitest";
import { keyVaultAuthorizationPending, releaseToolAuthorizationPending, storageAuthorizationPending } from "../../enclave-app/src/runtime/retry/authorization.ts";
import type { Attester, UnwrapContentKeysRequest } from "../../enclave-app/src/runtime/attest/attester.ts";
import { KeyReleaseError } from "../../enclave-app/src/runtime/errors.ts";
import { retryingToolUnwrap } from "../../enclave-app/src/runtime/keyrelease/retrying-client.ts";
import { RetryExhaustedError, retryDelay, withRetry, type RetryNotice } from "../../enclave-app/src/runtime/retry/policy.ts";
import { retryingBlobStore } from "../../enclave-app/src/runtime/storage/retrying-blob-store.ts";
import type { BlobStore } from "../../enclave-app/src/runtime/storage/blob-store.ts";

function restError(statusCode: number, code: string, message = `${code} from the service`, details?: unknown): Error {
  return Object.assign(new Error(message), { name: "RestError", statusCode, code, ...(details !== undefined ? { details } : {}) });
}

/** A clock that advances only when the retry sleeps. */
function fakeClock() {
  let t = 0;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms: number) => void (slept.push(ms), (t += ms)), random: () => 0.5 };
}

describe("withRetry", () => {
  it("retries a pending authorisation with growing delays and succeeds once it applies", async () => {
    const clock = fakeClock();
    const notices: RetryNotice[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls <= 3) throw restError(403, "AuthorizationPermissionMismatch");
        return "ok";
      },
      { maxElapsedMs: 60_000, initialDelayMs: 100, maxDelayMs: 1_000 },
      { what: "storage getProperties of c/b", classify: storageAuthorizationPending, onRetry: (n) => notices.push(n) },
      clock,
    );
    expect(value).toBe("ok");
    expect(calls).toBe(4);
    expect(clock.slept).toEqual([55, 110, 220]);
    expect(notices.map((n) => [n.attempt, n.reason])).toEqual([
      [1, "HTTP 403 AuthorizationPermissionMismatch"],
      [2, "HTTP 403 AuthorizationPermissionMismatch"],
      [3, "HTTP 403 AuthorizationPermissionMismatch"],
    ]);
  });

  it("gives up after the elapsed bound with the original error as cause, its status and code kept", async () => {
    const clock = fakeClock();
    let calls = 0;
    const original = restError(403, "AuthorizationFailure", "This request is not authorized to perform this operation.");
    const err = await withRetry(
      async () => {
        calls++;
        throw original;
      },
      { maxElapsedMs: 1_000, initialDelayMs: 100, maxDelayMs: 400 },
      { what: "storage download of input-bank/t.csv", classify: storageAuthorizationPending },
      clock,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryExhaustedError);
    expect(err).toMatchObject({ statusCode: 403, code: "AuthorizationFailure", cause: original });
    expect((err as Error).message).toMatch(/^storage download of input-bank\/t.csv: still HTTP 403 AuthorizationFailure after \d+ attempt\(s\) over .* s .*This request is not authorized/);
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1_000);
    expect(calls).toBeGreaterThan(2);
  });

  it("rethrows at once what time does not heal, and does not retry at all with a zero bound", async () => {
    const clock = fakeClock();
    const denied = restError(403, "AccessDenied", "release of key 'k' denied by its release policy");
    let calls = 0;
    const fn = async () => {
      calls++;
      throw denied;
    };
    await expect(withRetry(fn, { maxElapsedMs: 60_000 }, { what: "release", classify: keyVaultAuthorizationPending }, clock)).rejects.toBe(denied);
    const pending = restError(403, "AuthorizationPermissionMismatch");
    await expect(withRetry(async () => { calls++; throw pending; }, { maxElapsedMs: 0 }, { what: "x", classify: storageAuthorizationPending }, clock)).rejects.toBe(pending);
    expect(calls).toBe(2);
    expect(clock.slept).toEqual([]);
  });

  it("draws delays with jitter under an exponential ceiling", () => {
    const opts = { maxElapsedMs: 1, initialDelayMs: 1_000, maxDelayMs: 8_000 };
    for (let attempt = 1; attempt <= 6; attempt++) {
      const ceiling = Math.min(8_000, 1_000 * 2 ** (attempt - 1));
      expect(retryDelay(attempt, opts, () => 0)).toBe(ceiling / 10);
      expect(retryDelay(attempt, opts, () => 0.999999)).toBe(ceiling);
    }
  });
});

describe("which 403s are retried", () => {
  it("storage: AuthorizationPermissionMismatch and AuthorizationFailure only", () => {
    expect(storageAuthorizationPending(restError(403, "AuthorizationPermissionMismatch"))).toBeDefined();
    expect(storageAuthorizationPending(restError(403, "AuthorizationFailure"))).toBeDefined();
    expect(storageAuthorizationPending(restError(403, "AuthenticationFailed"))).toBeUndefined();
    expect(storageAuthorizationPending(restError(404, "BlobNotFound"))).toBeUndefined();
    expect(storageAuthorizationPending(new Error("socket hang up"))).toBeUndefined();
  });

  it("Key Vault: ForbiddenByRbac, not a release-policy denial", () => {
    expect(keyVaultAuthorizationPending(restError(403, "Forbidden", "Caller is not authorized to perform action on resource.", { error: { code: "Forbidden", innerError: { code: "ForbiddenByRbac" } } }))).toBe("HTTP 403 ForbiddenByRbac");
    expect(keyVaultAuthorizationPending(restError(403, "Forbidden", "Caller is not authorized to perform action on resource. If role assignments were changed recently, please observe propagation time."))).toBeDefined();
    expect(keyVaultAuthorizationPending(restError(403, "AccessDenied", "release of key 'k' denied by its release policy: claim 'x-ms-sevsnpvm-hostdata' must equal"))).toBeUndefined();
    expect(keyVaultAuthorizationPending(restError(401, "Unauthorized"))).toBeUndefined();
  });
});

describe("retryingBlobStore", () => {
  it("retries each operation on its own and names the blob when it gives up", async () => {
    let propsCalls = 0;
    const inner: BlobStore = {
      getProperties: async () => {
        if (++propsCalls <= 2) throw restError(403, "AuthorizationPermissionMismatch");
        return { contentLength: 1, metadata: {} };
      },
      download: async () => {
        throw restError(404, "BlobNotFound");
      },
      uploadNew: async () => {
        throw restError(403, "AuthorizationPermissionMismatch");
      },
      deleteIfExists: async () => undefined,
      list: async () => [],
    };
    const clock = fakeClock();
    const notices: string[] = [];
    const store = retryingBlobStore(inner, { maxElapsedMs: 2_000, initialDelayMs: 100 }, (n) => notices.push(`${n.operation} ${n.container}/${n.blobName}`), clock);
    await expect(store.getProperties("input-bank", "t.csv")).resolves.toMatchObject({ contentLength: 1 });
    expect(notices).toEqual(["getProperties input-bank/t.csv", "getProperties input-bank/t.csv"]);
    await expect(store.download("input-bank", "t.csv")).rejects.toMatchObject({ statusCode: 404 });
    await expect(store.uploadNew("output", "h/run/result.bank.csv", Buffer.alloc(1), {})).rejects.toThrow(/^storage uploadNew of output\/h\/run\/result.bank.csv: still HTTP 403/);
  });
});

describe("retryingToolUnwrap (AzureAttestSKR, confidential-node mode)", () => {
  const rbac = new KeyReleaseError("KEY_RELEASE_DENIED", "AzureAttestSKR exited with status 4 (Key Vault refused or failed the release (policy, 403, key not found)) for https://v.vault.azure.net/keys/k/1: HTTP 403 {\"error\":{\"code\":\"Forbidden\",\"message\":\"Caller is not authorized to perform action on resource.\",\"innererror\":{\"code\":\"ForbiddenByRbac\"}}}", { step: "release" });
  const policy = new KeyReleaseError("KEY_RELEASE_DENIED", "AzureAttestSKR exited with status 4 (Key Vault refused or failed the release (policy, 403, key not found)) for https://v.vault.azure.net/keys/k/1: HTTP 403 Target environment attestation statement cannot satisfy release policy", { step: "release" });
  const attesterFailing = (failures: Error[]) => {
    let calls = 0;
    const attester = {
      kind: "cvm-skr",
      mode: "confidential-node",
      keyBinding: "client-payload-nonce",
      signing: { kid: "k" },
      attest: async () => ({ token: "t", claims: {} }),
      unwrapContentKeys: async () => {
        calls++;
        const f = failures.shift();
        if (f) throw f;
        return new Map([["ds", Buffer.alloc(40)]]);
      },
    } as unknown as Attester;
    return { attester, calls: () => calls };
  };
  const req = { keyId: "https://v.vault.azure.net/keys/k/1", keys: [], expectedLength: 40 } as unknown as UnwrapContentKeysRequest;

  it("retries the tool while Key Vault refuses for RBAC, then succeeds", async () => {
    const { attester, calls } = attesterFailing([rbac, rbac]);
    const notices: string[] = [];
    const wrapped = retryingToolUnwrap(attester, { maxElapsedMs: 60_000, initialDelayMs: 100 }, "bank", (n) => notices.push(`${n.party} ${n.reason}`), fakeClock());
    expect((await wrapped.unwrapContentKeys!(req)).get("ds")).toHaveLength(40);
    expect(calls()).toBe(3);
    expect(notices).toEqual(["bank AzureAttestSKR: HTTP 403 ForbiddenByRbac", "bank AzureAttestSKR: HTTP 403 ForbiddenByRbac"]);
    expect(wrapped.kind).toBe("cvm-skr");
  });

  it("does not retry a release-policy denial", async () => {
    const { attester, calls } = attesterFailing([policy]);
    const wrapped = retryingToolUnwrap(attester, { maxElapsedMs: 60_000 }, "bank", undefined, fakeClock());
    await expect(wrapped.unwrapContentKeys!(req)).rejects.toBe(policy);
    expect(calls()).toBe(1);
    expect(releaseToolAuthorizationPending(policy)).toBeUndefined();
  });
});

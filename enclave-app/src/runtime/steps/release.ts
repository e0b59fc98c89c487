// Step 4, release: per data owner, obtain an unwrapper for the party's KEK (Key Vault releases the
// KEK to the enclave, or AzureAttestSKR releases and unwraps in one call) and unwrap the content
// keys of all its datasets. 403s of a role assignment that has not propagated yet are retried
// within the bound; a release-policy denial is final and, when the token fails the contract's
// release policy locally, the error says which condition and why.
import type { X509Certificate } from "node:crypto";
import { hintFor, parseKeyVaultKeyId, requiredApprovers, sameKeyVaultKey, shortValue, type Claims, type Contract, type PolicyDecision } from "../../protocol/index.ts";
import type { Attester } from "../attest/attester.ts";
import { KeyReleaseError, RuntimeError } from "../errors.ts";
import type { KeyExportEncryption } from "../keyrelease/key-hsm.ts";
import type { KeyReleaseClient } from "../keyrelease/release.ts";
import { retryingKeyClient, retryingToolUnwrap, type ReleaseRetryNotice } from "../keyrelease/retrying-client.ts";
import { obtainUnwrapper } from "../keyrelease/unwrappers.ts";
import type { ReceiptKeyRelease } from "../../receipt/index.ts";
import { NO_RETRY, type RetryPolicyOptions } from "../retry/policy.ts";
import type { AttestedEnclave } from "./attest.ts";
import type { InspectedDataset } from "./inspect.ts";
import type { RunReporter, StepEvent } from "./reporter.ts";

export interface ReleaseInput {
  contract: Contract;
  datasets: readonly InspectedDataset[];
  attester: Attester;
  attested: AttestedEnclave;
  /** Flow (a): a key client for a party's vault. */
  keyClientFor?: (vaultUrl: string, party: string) => KeyReleaseClient;
  /** Flow (a): trust anchors of Key Vault's signed release responses. */
  trustedRoots?: readonly (string | X509Certificate)[];
  releaseAlgorithm?: KeyExportEncryption;
  /** Bound for retrying 403s while role assignments propagate (default: none). */
  authorizationRetry?: RetryPolicyOptions;
}

/** Content keys by dataset name. Whoever holds them zeroes them (zeroContentKeys) once used. */
export type ContentKeys = Map<string, Buffer>;

export interface ReleasedKeys {
  keysReleased: ReceiptKeyRelease[];
  contentKeys: ContentKeys;
}

export async function releaseKeys(input: ReleaseInput, reporter: RunReporter): Promise<ReleasedKeys> {
  const retry = input.authorizationRetry ?? NO_RETRY;
  const onRetry = (n: ReleaseRetryNotice) => reporter.emit(releaseRetryEvent(n));
  const keyClientFor =
    input.keyClientFor && retry.maxElapsedMs > 0
      ? (vaultUrl: string, party: string) => retryingKeyClient(input.keyClientFor!(vaultUrl, party), retry, party, onRetry)
      : input.keyClientFor;
  const contentKeys: ContentKeys = new Map();
  const releaseOne = (party: string): Promise<ReceiptKeyRelease> => {
    const spec = input.contract.parties.find((p) => p.name === party);
    if (!spec) return Promise.reject(new RuntimeError("CONTRACT_INVALID", `dataset owner "${party}" is not a party`, { step: "release", party }));
    const mine = input.datasets.filter((d) => d.spec.owner === party);
    return reporter.timed(
      "release",
      () =>
        releaseForParty({
          party,
          kekKeyId: spec.kek.keyId,
          datasets: mine,
          input,
          keyClientFor,
          unwrapAttester: retry.maxElapsedMs > 0 ? retryingToolUnwrap(input.attester, retry, party, onRetry) : input.attester,
          now: reporter.clock(),
          into: contentKeys,
        }).catch((err: unknown) => {
          throw explainDenial(err, party, input.attested);
        }),
      { party },
    );
  };
  const parties = requiredApprovers(input.contract);
  try {
    let keysReleased: ReceiptKeyRelease[];
    if (input.attester.unwrapContentKeys) {
      // AzureAttestSKR attests and unwraps through the node's one vTPM: one tool run at a time.
      keysReleased = [];
      for (const party of parties) keysReleased.push(await releaseOne(party));
    } else {
      // Key Vault releases over HTTPS: every party's vault at once, the receipt still in party order.
      // The first failure is reported once every release has settled, so no key arrives after the zeroing.
      const settled = await Promise.allSettled(parties.map(releaseOne));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
      keysReleased = settled.map((s) => (s as PromiseFulfilledResult<ReceiptKeyRelease>).value);
    }
    return { keysReleased, contentKeys };
  } catch (err) {
    zeroContentKeys(contentKeys);
    throw err;
  }
}

export function zeroContentKeys(keys: ContentKeys): void {
  for (const key of keys.values()) key.fill(0);
}

interface PartyRelease {
  party: string;
  kekKeyId: string;
  datasets: readonly InspectedDataset[];
  input: ReleaseInput;
  keyClientFor: ReleaseInput["keyClientFor"];
  /** The attester whose tool release (if any) retries RBAC refusals. */
  unwrapAttester: Attester;
  now: Date;
  into: ContentKeys;
}

/** Obtains the party's unwrapper and unwraps the content keys of all its datasets. */
async function releaseForParty(r: PartyRelease): Promise<ReceiptKeyRelease> {
  const { party, kekKeyId, datasets, input } = r;
  const kek = parseKeyVaultKeyId(kekKeyId);
  const unwrapper = await obtainUnwrapper({
    party,
    kekKeyId,
    // AzureAttestSKR needs a versioned key URL; the blobs' metadata names one when the contract does not.
    versionedKeyId: datasets.map((d) => d.encryptionData.WrappedContentKey.KeyId).find((id) => sameKeyVaultKey(id, kekKeyId)),
    attester: r.unwrapAttester,
    token: input.attested.attestation.token,
    ...(r.keyClientFor ? { keyClient: r.keyClientFor(kek.vaultUrl, party) } : {}),
    ...(input.trustedRoots ? { trustedRoots: input.trustedRoots } : {}),
    ...(input.releaseAlgorithm ? { algorithm: input.releaseAlgorithm } : {}),
    nonce: input.attested.nonce,
    now: r.now,
  });
  const ceks = await unwrapper.unwrap(
    datasets.map((d) => ({
      id: d.spec.name,
      encryptedKey: Buffer.from(d.encryptionData.WrappedContentKey.EncryptedKey, "base64"),
      algorithm: d.encryptionData.WrappedContentKey.Algorithm,
      protocol: d.encryptionData.EncryptionAgent.Protocol,
    })),
  );
  for (const d of datasets) {
    const cek = ceks.get(d.spec.name);
    if (cek) r.into.set(d.spec.name, cek);
  }
  return { party, keyId: unwrapper.keyId, mechanism: unwrapper.mechanism };
}

/** Key Vault only says "forbidden"; the local evaluation of the same policy says why. */
function explainDenial(err: unknown, party: string, attested: AttestedEnclave): unknown {
  const preview = attested.releasePolicyPreview;
  if (err instanceof KeyReleaseError && err.code === "KEY_RELEASE_DENIED" && !preview.allowed) {
    return new KeyReleaseError("KEY_RELEASE_DENIED", `${err.message}; ${policyFailureSummary(attested.attestation.claims, preview)}`, {
      party,
      ...(err.vault !== undefined ? { vault: err.vault } : {}),
      cause: err,
    });
  }
  return err;
}

/** One line for an error: which condition of the contract's release policy the token fails, and a hint. */
function policyFailureSummary(claims: Claims, decision: PolicyDecision): string {
  if (decision.allowed) return "";
  const f = decision.failure;
  const seen = f.absent || f.actual === undefined ? "the token lacks it" : `the token has ${shortValue(f.actual)}`;
  const condition = f.claim !== undefined ? `${f.claim} ${f.operator ?? "equals"} ${shortValue(f.expected)}, but ${seen}` : f.reason;
  const hint = hintFor(f, claims);
  return `the token fails the contract's release policy at ${f.path || "(policy)"}: ${condition}${hint ? ` (hint: ${hint})` : ""}`;
}

function releaseRetryEvent(n: ReleaseRetryNotice): StepEvent {
  return {
    level: "warn",
    step: "release",
    event: "authorization-retry",
    party: n.party,
    durationMs: n.delayMs,
    detail: `release of key "${n.keyName}": ${n.reason}; retry ${n.attempt} in ${n.delayMs} ms (${Math.round(n.elapsedMs / 1000)} s so far)`,
  };
}

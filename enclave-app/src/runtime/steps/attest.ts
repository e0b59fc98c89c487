// Step 2, attest: a token whose runtime data (or client-payload nonce) binds the receipt key.
// In confidential-container mode the token must show the approved container policy
// (x-ms-sevsnpvm-hostdata) before any vault is asked. The token is also evaluated locally against
// the contract's release policy: a failure is only a warning here (Key Vault decides), but it
// explains a later 403.
import { buildReleasePolicy, checkHostdata, describeHostdataMismatch, evaluateReleasePolicy, explainDecision, type Contract, type PolicyDecision } from "../../protocol/index.ts";
import { receiptKeyNonce, type Attestation, type Attester } from "../attest/attester.ts";
import { HostdataMismatchError } from "../errors.ts";
import { tokenFingerprint } from "../events.ts";
import type { RunReporter } from "./reporter.ts";

export interface AttestInput {
  contract: Contract;
  attester: Pick<Attester, "attest" | "signing">;
}

export interface AttestedEnclave {
  attestation: Attestation;
  /** The nonce sent with the attestation (binds the receipt key in client-payload mode). */
  nonce: string;
  /** The token evaluated against the contract's release policy, for explaining refusals. */
  releasePolicyPreview: PolicyDecision;
}

export async function attestEnclave(input: AttestInput, reporter: RunReporter): Promise<AttestedEnclave> {
  const { contract, attester } = input;
  const nonce = receiptKeyNonce(attester.signing.publicJwk);
  const attestation = await reporter.timed("attest", () => attester.attest({ nonce }));
  const hostdata = checkHostdata(contract.attestation, attestation.claims);
  if (!hostdata.ok) {
    throw new HostdataMismatchError(hostdata.claim, hostdata.expected, hostdata.actual, `key release refused before asking any vault: ${describeHostdataMismatch(hostdata)}`);
  }
  const policy = buildReleasePolicy(contract.attestation);
  const preview = evaluateReleasePolicy(policy, attestation.claims);
  const token = `token ${tokenFingerprint(attestation.token)}`;
  reporter.emit({
    level: preview.allowed ? "info" : "warn",
    step: "attest",
    event: preview.allowed ? "token" : "token-fails-release-policy",
    detail: preview.allowed ? token : `${token}: ${explainDecision(policy, attestation.claims, preview)}`,
  });
  return { attestation, nonce, releasePolicyPreview: preview };
}

// Attester over Microsoft's SKR sidecar (microsoft/confidential-sidecar-containers `cmd/skr`), which
// serves on localhost in a Confidential ACI container group:
//   POST {endpoint}/attest/maa {maa_endpoint, runtime_data} -> 200 {token} | 4xx/5xx {error}
// `runtime_data` is standard base64 of the bytes MAA binds: the sidecar decodes it
// (base64.StdEncoding), sends it to MAA as JSON runtime data, and MAA reflects the JSON under
// `x-ms-runtime` and its SHA-256 in the SNP report data. We send {"keys":[encryption, signing]} so the
// token binds both ephemeral keys. Release and unwrap happen in this process (flow a), so the
// sidecar's own /key/release is not used.
import type { IsolationMode } from "../../protocol/index.ts";
import { AttestationError, errorMessage, scrubSecrets } from "../errors.ts";
import { EphemeralKeyAttester, runtimeDataFor, type Attestation, type Attester, type EphemeralKeyMaterial } from "./attester.ts";
import { decodeJwtClaims, looksLikeJwt, tokenBindsKey } from "../../protocol/index.ts";
import { HttpRequestError, postJsonWithRetry, type JsonRequester, type RetryOptions, type Sleep } from "./http-retry.ts";

export interface SidecarAttesterOptions {
  /** MAA endpoint that authors the token (the `authority` of the release policies). */
  maaEndpoint: string;
  /** Sidecar base URL (default http://localhost:8080, the sidecar's default port). */
  sidecarUrl?: string;
  mode?: IsolationMode;
  retry?: RetryOptions;
  /** Ephemeral keys; generated when omitted. */
  keyMaterial?: EphemeralKeyMaterial;
  /** Test seams. */
  requester?: JsonRequester;
  sleep?: Sleep;
}

export class SidecarAttester extends EphemeralKeyAttester implements Attester {
  readonly kind = "sidecar" as const;
  readonly mode: IsolationMode;
  readonly #opts: SidecarAttesterOptions;
  readonly #url: string;

  constructor(opts: SidecarAttesterOptions) {
    super(opts.keyMaterial);
    this.mode = opts.mode ?? "confidential-container";
    this.#opts = opts;
    this.#url = `${(opts.sidecarUrl ?? "http://localhost:8080").replace(/\/+$/, "")}/attest/maa`;
  }

  async attest(opts: { nonce?: string } = {}): Promise<Attestation> {
    const runtimeData = { ...runtimeDataFor(this.keys), ...(opts.nonce !== undefined ? { nonce: opts.nonce } : {}) };
    const body = {
      maa_endpoint: hostOf(this.#opts.maaEndpoint),
      runtime_data: Buffer.from(JSON.stringify(runtimeData), "utf8").toString("base64"),
    };
    let res;
    try {
      res = await postJsonWithRetry(this.#url, body, {
        ...this.#opts.retry,
        ...(this.#opts.requester ? { requester: this.#opts.requester } : {}),
        ...(this.#opts.sleep ? { sleep: this.#opts.sleep } : {}),
      });
    } catch (err) {
      const attempts = err instanceof HttpRequestError ? err.attempts : 1;
      throw new AttestationError("sidecar", `POST ${this.#url} failed after ${attempts} attempt(s): ${errorMessage(err)}`, { cause: err });
    }
    if (res.status < 200 || res.status >= 300) {
      const detail = typeof (res.body as { error?: unknown } | undefined)?.error === "string" ? (res.body as { error: string }).error : res.text;
      throw new AttestationError("sidecar", `POST ${this.#url} answered HTTP ${res.status}: ${scrubSecrets(detail)}`);
    }
    if (res.bodyProblem !== undefined) throw new AttestationError("sidecar", res.bodyProblem);
    const token = (res.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== "string" || !looksLikeJwt(token)) {
      throw new AttestationError("sidecar", `POST ${this.#url} answered without a JWT in "token"`);
    }
    const claims = decodeJwtClaims(token);
    if (!tokenBindsKey(claims, this.keys.encryption.publicJwk) || !tokenBindsKey(claims, this.keys.signing.publicJwk)) {
      throw new AttestationError("sidecar", "the token's x-ms-runtime.keys do not carry this enclave's ephemeral keys (runtime data not bound)");
    }
    return { token, claims };
  }
}

/** The sidecar expects the MAA endpoint as a host name (its examples pass `sharedeus2.eus2.attest.azure.net`). */
export function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  }
}

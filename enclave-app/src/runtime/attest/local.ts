// Attester against the local clean room's simulated attestation authority. The ephemeral keys live in
// this process, exactly as with the SKR sidecar (flow a); only the token source differs:
//   POST {authority}/attest/simulated {mode, runtimeKeys, nonce?, hostdata?} -> {token}
// or, in-process, the authority object's issueToken() (tests use it to shape refused tokens).
// Tokens from it prove nothing about hardware.
import type { JsonWebKey } from "node:crypto";
import type { IsolationMode } from "../../protocol/index.ts";
import { AttestationError, errorMessage, scrubSecrets } from "../errors.ts";
import { EphemeralKeyAttester, runtimeDataFor, type Attestation, type Attester, type EphemeralKeyMaterial } from "./attester.ts";
import { decodeJwtClaims, looksLikeJwt } from "../../protocol/index.ts";
import { ccePolicyHostdata } from "../../protocol/index.ts";
import { postJsonWithRetry, type RetryOptions } from "./http-retry.ts";
import { httpsJsonRequester } from "../../receipt/https-json.ts";

/** The subset of the local authority's TokenRequest this attester fills in (see local/attestation-authority.ts). */
export interface SimulatedTokenRequest {
  mode: IsolationMode;
  runtimeKeys: JsonWebKey[];
  hostdata?: string;
  nonce?: string;
  debuggable?: boolean;
  complianceStatus?: string;
  expiresInSeconds?: number;
  extraClaims?: Record<string, unknown>;
}

export interface InProcessAuthority {
  url: string;
  issueToken(req: SimulatedTokenRequest): Promise<string>;
}

export interface LocalAttesterOptions {
  /** The authority: in-process (issueToken is called directly) or by URL over HTTPS. */
  authority: InProcessAuthority | { url: string; caCertPem: string | string[] };
  mode: IsolationMode;
  /**
   * The container security policy (base64, as `az confcom` emits it) this enclave was started with:
   * the simulated hardware reports its sha256 as x-ms-sevsnpvm-hostdata. Takes precedence over `hostdata`.
   */
  ccePolicy?: string;
  /** The hostdata to report directly (tests); all zeros when neither is given. */
  hostdata?: string;
  keyMaterial?: EphemeralKeyMaterial;
  /**
   * Applied to every token request (in-process authority only): lets tests obtain a debuggable,
   * expired or key-less token through the very same runtime path.
   */
  tokenOverrides?: Partial<SimulatedTokenRequest>;
  retry?: RetryOptions;
}

export class LocalAttester extends EphemeralKeyAttester implements Attester {
  readonly kind = "local" as const;
  readonly mode: IsolationMode;
  readonly #opts: LocalAttesterOptions;
  readonly #hostdata: string | undefined;

  constructor(opts: LocalAttesterOptions) {
    // 2048-bit is enough for simulated tokens and keeps the local clean room quick to start.
    super(opts.keyMaterial, { rsaBits: 2048 });
    this.mode = opts.mode;
    this.#opts = opts;
    this.#hostdata = opts.ccePolicy !== undefined ? ccePolicyHostdata(opts.ccePolicy) : opts.hostdata;
  }

  async attest(opts: { nonce?: string } = {}): Promise<Attestation> {
    const req: SimulatedTokenRequest = {
      mode: this.mode,
      runtimeKeys: runtimeDataFor(this.keys).keys,
      ...(this.#hostdata !== undefined ? { hostdata: this.#hostdata } : {}),
      ...(opts.nonce !== undefined ? { nonce: opts.nonce } : {}),
    };
    const authority = this.#opts.authority;
    let token: unknown;
    if ("issueToken" in authority) {
      try {
        token = await authority.issueToken({ ...req, ...this.#opts.tokenOverrides });
      } catch (err) {
        throw new AttestationError("local", `the local authority refused to issue a token: ${errorMessage(err)}`, { cause: err });
      }
    } else {
      const url = `${authority.url.replace(/\/+$/, "")}/attest/simulated`;
      let res;
      try {
        res = await postJsonWithRetry(url, req, { ...this.#opts.retry, requester: httpsJsonRequester({ caCertPem: authority.caCertPem }) });
      } catch (err) {
        throw new AttestationError("local", `POST ${url} failed: ${errorMessage(err)}`, { cause: err });
      }
      if (res.status < 200 || res.status >= 300) {
        throw new AttestationError("local", `POST ${url} answered HTTP ${res.status}: ${scrubSecrets(res.text)}`);
      }
      token = (res.body as { token?: unknown } | undefined)?.token;
    }
    if (typeof token !== "string" || !looksLikeJwt(token)) throw new AttestationError("local", "the authority answered without a JWT");
    return { token, claims: decodeJwtClaims(token) };
  }
}

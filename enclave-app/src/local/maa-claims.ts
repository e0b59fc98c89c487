// Claim sets shaped like the tokens Microsoft Azure Attestation issues, for the two isolation
// modes. Shapes follow Microsoft's published samples (learn.microsoft.com "Examples of an
// attestation token" for SEV-SNP; the AKS CVM attestation sample in
// Azure/confidential-computing-cvm-guest-attestation for guest attestation). The hardware values
// are plausible constants, not measurements: every token also carries
// `x-cleanroom-simulated: true`, and nothing here proves anything about hardware.
import { createHash } from "node:crypto";
import type { JsonWebKey } from "node:crypto";
import { MaaClaims, type Claims, type IsolationMode } from "../protocol/index.ts";
import { LocalCleanRoomError } from "./errors.ts";

export interface TokenRequest {
  mode: IsolationMode;
  /** Public JWKs with kid; key_ops ["encrypt"] for the key Key Vault should wrap released keys to. */
  runtimeKeys: JsonWebKey[];
  /** 64 lowercase hex; defaults to zeros (what a VM without host data reports). */
  hostdata?: string;
  debuggable?: boolean;
  complianceStatus?: string;
  /** Echoed verbatim in `x-ms-runtime.client-payload.nonce`. */
  nonce?: string;
  /** Default 8 hours, like MAA. Negative -> an already expired token (for tests). */
  expiresInSeconds?: number;
  /** Shallow merge over the top-level claims; a value of `undefined` removes that claim. */
  extraClaims?: Record<string, unknown>;
}

/** Marks every token of the local authority; a relying party can refuse simulated evidence. */
export const SIMULATED_CLAIM = "x-cleanroom-simulated";
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 8 * 3600;
/** The vTPM-held key MAA reports for a confidential VM's guest attestation. */
export const CVM_RUNTIME_KEY_ID = "TpmEphemeralEncryptionKey";

const HEX64 = /^[0-9a-f]{64}$/;
const ZERO_HOSTDATA = "0".repeat(64);
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const MAX_NONCE_LENGTH = 1024;

function invalid(message: string): LocalCleanRoomError {
  return new LocalCleanRoomError("TOKEN_REQUEST_INVALID", message);
}

/** Checks a token request; throws TOKEN_REQUEST_INVALID naming the field and the rule. */
export function validateTokenRequest(input: unknown): TokenRequest {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw invalid("token request must be a JSON object");
  }
  const req = input as Record<string, unknown>;
  if (req.mode !== "confidential-node" && req.mode !== "confidential-container") {
    throw invalid(`mode must be "confidential-node" or "confidential-container"`);
  }
  if (!Array.isArray(req.runtimeKeys)) throw invalid("runtimeKeys must be an array of public JWKs");
  req.runtimeKeys.forEach((key: unknown, index: number) => {
    if (typeof key !== "object" || key === null || Array.isArray(key)) {
      throw invalid(`runtimeKeys[${index}] must be a JWK object`);
    }
    const jwk = key as Record<string, unknown>;
    if (typeof jwk.kty !== "string") throw invalid(`runtimeKeys[${index}].kty must be a string`);
    if (typeof jwk.kid !== "string" || jwk.kid.length === 0) {
      throw invalid(`runtimeKeys[${index}].kid must be a non-empty string`);
    }
    const secret = PRIVATE_MEMBERS.filter((member) => member in jwk);
    if (secret.length > 0) {
      throw invalid(`runtimeKeys[${index}] must be a public key; it has private members ${secret.join(", ")}`);
    }
  });
  if (req.hostdata !== undefined && (typeof req.hostdata !== "string" || !HEX64.test(req.hostdata))) {
    throw invalid("hostdata must be 64 lowercase hex characters");
  }
  if (req.debuggable !== undefined && typeof req.debuggable !== "boolean") throw invalid("debuggable must be a boolean");
  if (req.complianceStatus !== undefined && typeof req.complianceStatus !== "string") {
    throw invalid("complianceStatus must be a string");
  }
  if (req.nonce !== undefined && (typeof req.nonce !== "string" || req.nonce.length > MAX_NONCE_LENGTH)) {
    throw invalid(`nonce must be a string of at most ${MAX_NONCE_LENGTH} characters`);
  }
  if (
    req.expiresInSeconds !== undefined &&
    (typeof req.expiresInSeconds !== "number" || !Number.isSafeInteger(req.expiresInSeconds))
  ) {
    throw invalid("expiresInSeconds must be an integer number of seconds");
  }
  if (
    req.extraClaims !== undefined &&
    (typeof req.extraClaims !== "object" || req.extraClaims === null || Array.isArray(req.extraClaims))
  ) {
    throw invalid("extraClaims must be an object");
  }
  return req as unknown as TokenRequest;
}

export interface ClaimContext {
  issuer: string;
  /** Seconds since the epoch. */
  now: number;
  jti: string;
  /** Public JWK standing for the HCL attestation key in a CVM token (confidential-node). */
  hclKey?: JsonWebKey;
}

const sha256Hex = (data: string) => createHash("sha256").update(data).digest("hex");
const sha384Hex = (data: string) => createHash("sha384").update(data).digest("hex");

// MAA reports the SNP REPORT_DATA as 64 bytes: sha256 of the runtime data, then zeros.
function reportData(runtime: unknown): string {
  return sha256Hex(JSON.stringify(runtime)) + "0".repeat(64);
}

function snpClaims(req: TokenRequest, ctx: ClaimContext, complianceStatus: string, runtime: unknown): Claims {
  return {
    [MaaClaims.attestationType]: "sevsnpvm",
    [MaaClaims.complianceStatus]: complianceStatus,
    "x-ms-sevsnpvm-authorkeydigest": "0".repeat(96),
    "x-ms-sevsnpvm-bootloader-svn": 3,
    "x-ms-sevsnpvm-familyId": "01000000000000000000000000000000",
    "x-ms-sevsnpvm-guestsvn": 2,
    [MaaClaims.hostdata]: req.hostdata ?? ZERO_HOSTDATA,
    "x-ms-sevsnpvm-idkeydigest": sha384Hex(`cleanroom-simulated-idkey:${req.mode}`),
    "x-ms-sevsnpvm-imageId": "02000000000000000000000000000000",
    [MaaClaims.isDebuggable]: req.debuggable ?? false,
    "x-ms-sevsnpvm-launchmeasurement": sha384Hex(`cleanroom-simulated-launch:${req.mode}`),
    "x-ms-sevsnpvm-microcode-svn": 115,
    "x-ms-sevsnpvm-migration-allowed": false,
    "x-ms-sevsnpvm-reportdata": reportData(runtime),
    "x-ms-sevsnpvm-reportid": sha256Hex(`cleanroom-simulated-report:${ctx.jti}`),
    "x-ms-sevsnpvm-smt-allowed": true,
    "x-ms-sevsnpvm-snpfw-svn": 8,
    "x-ms-sevsnpvm-tee-svn": 0,
    "x-ms-sevsnpvm-vmpl": 0,
  };
}

function policyHash(mode: IsolationMode): string {
  return createHash("sha256").update(`cleanroom-simulated-attestation-policy:${mode}`).digest("base64url");
}

function vmId(ctx: ClaimContext): string {
  const hex = sha256Hex(`cleanroom-simulated-vm:${ctx.issuer}`).toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function runtimeClaim(req: TokenRequest): Record<string, unknown> {
  return {
    ...(req.nonce !== undefined ? { "client-payload": { nonce: req.nonce } } : {}),
    keys: req.runtimeKeys,
  };
}

/** SEV-SNP with raw evidence, as a confidential container (Confidential ACI) is attested. */
function containerClaims(req: TokenRequest, ctx: ClaimContext): Claims {
  const runtime = runtimeClaim(req);
  return {
    ...snpClaims(req, ctx, req.complianceStatus ?? "azure-compliant-uvm", runtime),
    "x-ms-policy-hash": policyHash(req.mode),
    [MaaClaims.runtime]: runtime,
    "x-ms-ver": "1.0",
  };
}

/** Guest attestation of an Azure confidential VM (an AKS confidential node) through its vTPM. */
function nodeClaims(req: TokenRequest, ctx: ClaimContext): Claims {
  const id = vmId(ctx);
  const innerRuntime = {
    keys: ctx.hclKey ? [{ ...ctx.hclKey, kid: "HCLAkPub", key_ops: ["sign"] }] : [],
    "vm-configuration": {
      "console-enabled": true,
      "secure-boot": true,
      "tpm-enabled": true,
      vmUniqueId: id,
    },
  };
  return {
    secureboot: true,
    [MaaClaims.attestationType]: "azurevm",
    "x-ms-azurevm-attestation-protocol-ver": "2.0",
    "x-ms-azurevm-attested-pcrs": [0, 1, 2, 3, 4, 5, 6, 7],
    "x-ms-azurevm-bootdebug-enabled": false,
    "x-ms-azurevm-dbvalidated": true,
    "x-ms-azurevm-dbxvalidated": true,
    "x-ms-azurevm-debuggersdisabled": true,
    "x-ms-azurevm-default-securebootkeysvalidated": true,
    "x-ms-azurevm-elam-enabled": false,
    "x-ms-azurevm-flightsigning-enabled": false,
    "x-ms-azurevm-hvci-policy": 0,
    "x-ms-azurevm-hypervisordebug-enabled": false,
    "x-ms-azurevm-is-windows": false,
    "x-ms-azurevm-kerneldebug-enabled": false,
    "x-ms-azurevm-osbuild": "NotApplication",
    "x-ms-azurevm-osdistro": "Ubuntu",
    "x-ms-azurevm-ostype": "Linux",
    "x-ms-azurevm-osversion-major": 22,
    "x-ms-azurevm-osversion-minor": 4,
    "x-ms-azurevm-signingdisabled": true,
    "x-ms-azurevm-testsigning-enabled": false,
    "x-ms-azurevm-vmid": id,
    [MaaClaims.isolationTee]: {
      ...snpClaims(req, ctx, req.complianceStatus ?? "azure-compliant-cvm", innerRuntime),
      [MaaClaims.runtime]: innerRuntime,
    },
    "x-ms-policy-hash": policyHash(req.mode),
    [MaaClaims.runtime]: runtimeClaim(req),
    "x-ms-ver": "1.0",
  };
}

/** The full payload of a simulated MAA token (registered claims first, then MAA's, then overrides). */
export function buildSimulatedClaims(req: TokenRequest, ctx: ClaimContext): Claims {
  const lifetime = req.expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  const claims: Claims = {
    exp: ctx.now + lifetime,
    iat: ctx.now,
    iss: ctx.issuer,
    jti: ctx.jti,
    nbf: ctx.now,
    ...(req.mode === "confidential-node" ? nodeClaims(req, ctx) : containerClaims(req, ctx)),
    [SIMULATED_CLAIM]: true,
  };
  for (const [name, value] of Object.entries(req.extraClaims ?? {})) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  return claims;
}

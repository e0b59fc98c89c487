// `cleanroom policy build | explain`: produce the Key Vault release policy for a collaboration, and
// explain why Key Vault would (not) release a key to a given attestation token.
import { Option, type Command } from "commander";
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from "jose";
import { CliError, EXIT_USAGE, EXIT_VERIFICATION_FAILED } from "../output.ts";
import { readJsonFile, readTextFile, writers } from "./contract.ts";
import {
  ISOLATION_MODES,
  ReleasePolicyError,
  buildReleasePolicy,
  decodeReleasePolicy,
  encodeReleasePolicy,
  explainDecision,
  traceReleasePolicy,
  type Claims,
  type IsolationMode,
  type ReleasePolicy,
  JSON_MAX_BYTES,
  parseJsonStrict,
} from "../../protocol/index.ts";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Accepts what people have at hand: the raw policy JSON, Key Vault's `release_policy` object
 * ({contentType, data}), or a key bundle / SDK object holding one under release_policy or releasePolicy.
 */
export function policyFromDocument(doc: unknown): ReleasePolicy {
  if (isObject(doc) && ("anyOf" in doc || "version" in doc)) return decodeReleasePolicy(JSON.stringify(doc));
  if (isObject(doc) && typeof doc.data === "string") return decodeReleasePolicy({ data: doc.data });
  if (isObject(doc)) {
    const nested = doc.release_policy ?? doc.releasePolicy;
    if (isObject(nested) && typeof nested.data === "string") return decodeReleasePolicy({ data: nested.data });
  }
  throw new ReleasePolicyError(
    "POLICY_ENCODING_INVALID",
    "expected a release policy {version, anyOf}, a Key Vault release_policy {contentType, data}, or an object holding one under release_policy",
  );
}

/** The compact JWT in a token file: the bare token, or JSON {token} as the SKR sidecar returns it. */
export function tokenFromText(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      const doc = parseJsonStrict(trimmed, { what: "token file", maxBytes: JSON_MAX_BYTES.serviceResponse });
      if (isObject(doc) && typeof doc.token === "string") return doc.token.trim();
    } catch {
      // fall through: reported below as not a JWT
    }
  }
  return trimmed;
}

async function loadPolicy(path: string): Promise<ReleasePolicy> {
  const doc = await readJsonFile(path, "policy file");
  try {
    return policyFromDocument(doc);
  } catch (error) {
    if (error instanceof ReleasePolicyError) {
      throw new CliError(error.code, `policy file ${path}: ${error.message}`, { exitCode: EXIT_USAGE, cause: error });
    }
    throw error;
  }
}

interface SignatureCheck {
  checked: boolean;
  ok: boolean;
  detail: string;
}

async function checkSignature(token: string, jwksPath: string): Promise<SignatureCheck> {
  const jwks = await readJsonFile(jwksPath, "JWKS file");
  if (!isObject(jwks) || !Array.isArray(jwks.keys)) {
    throw new CliError("INPUT_INVALID", `JWKS file ${jwksPath} must be a JSON Web Key Set {"keys": [...]}`);
  }
  try {
    const { protectedHeader, payload } = await jwtVerify(token, createLocalJWKSet(jwks as unknown as JSONWebKeySet));
    const expires = typeof payload.exp === "number" ? `, expires ${new Date(payload.exp * 1000).toISOString()}` : "";
    return {
      checked: true,
      ok: true,
      detail: `verified (${protectedHeader.alg}, kid ${protectedHeader.kid ?? "none"} from ${jwksPath}); exp/nbf checked${expires}`,
    };
  } catch (error) {
    const code = (error as { code?: string }).code ?? "ERR_JWS_INVALID";
    return { checked: true, ok: false, detail: `FAILED against ${jwksPath}: ${code}: ${(error as Error).message}` };
  }
}

export function register(program: Command): void {
  const policy = program.command("policy").description("build and explain Key Vault secure key release policies");

  policy
    .command("build")
    .description("print the release policy for an attestation authority and isolation mode")
    .addOption(new Option("--mode <mode>", "isolation mode").choices(ISOLATION_MODES as string[]).makeOptionMandatory())
    .requiredOption("--authority <url>", "attestation (MAA) endpoint, https://<host>")
    .option("--hostdata <hex>", "sha256 of the container security policy (confidential-container only)")
    .option("--encoded", "print the Key Vault release_policy object {contentType, data} (base64url)")
    .action((opts: { mode: IsolationMode; authority: string; hostdata?: string; encoded?: boolean }, cmd: Command) => {
      const { out } = writers(cmd);
      let built: ReleasePolicy;
      try {
        built = buildReleasePolicy({
          authority: opts.authority,
          mode: opts.mode,
          ...(opts.hostdata === undefined ? {} : { hostdata: opts.hostdata }),
        });
      } catch (error) {
        if (error instanceof ReleasePolicyError) throw new CliError(error.code, error.message, { exitCode: EXIT_USAGE, cause: error });
        throw error;
      }
      out(`${JSON.stringify(opts.encoded ? encodeReleasePolicy(built) : built, null, 2)}\n`);
    });

  policy
    .command("explain")
    .description("evaluate a release policy against an attestation token and explain the verdict")
    .requiredOption("--policy <file>", "release policy JSON, or a Key Vault release_policy object")
    .requiredOption("--token <file>", "attestation token (compact JWT, or JSON {token})")
    .option("--jwks <file>", "JWKS of the attestation authority: verify the token signature and exp/nbf first")
    .option("--json", "print {signature, decision} as JSON")
    .action(async (opts: { policy: string; token: string; jwks?: string; json?: boolean }, cmd: Command) => {
      const { out } = writers(cmd);
      const releasePolicy = await loadPolicy(opts.policy);
      const token = tokenFromText(await readTextFile(opts.token, "token file"));
      let claims: Claims;
      try {
        claims = decodeJwt(token) as Claims;
      } catch (error) {
        throw new CliError("TOKEN_MALFORMED", `token file ${opts.token} does not hold a JWT: ${(error as Error).message}`, { cause: error });
      }
      const signature: SignatureCheck = opts.jwks
        ? await checkSignature(token, opts.jwks)
        : {
            checked: false,
            ok: false,
            detail: "NOT checked (no --jwks given): the verdict covers the claims only, and anyone can write such claims",
          };
      const decision = traceReleasePolicy(releasePolicy, claims).decision;
      if (opts.json) {
        out(`${JSON.stringify({ signature, decision }, null, 2)}\n`);
      } else {
        out(`Token signature: ${signature.detail}\n`);
        out(`${explainDecision(releasePolicy, claims, decision)}\n`);
      }
      if (signature.checked && !signature.ok) {
        throw new CliError("TOKEN_SIGNATURE_INVALID", `token ${opts.token} does not verify: ${signature.detail}`, {
          exitCode: EXIT_VERIFICATION_FAILED,
        });
      }
      if (!decision.allowed) {
        throw new CliError("RELEASE_DENIED", `the release policy denies this token: ${decision.failure.reason}`, {
          exitCode: EXIT_VERIFICATION_FAILED,
        });
      }
    });
}

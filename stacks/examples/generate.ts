// Writes stacks/Pulumi.<example>.yaml for the example collaborations with real (test-only) keys and
// real approvals over the contract the program builds from that very config.
//   npx node stacks/examples/generate.ts           regenerate (keeps approvals that still verify)
//   npx node stacks/examples/generate.ts --check   exit 1 if a file is missing or its approvals do not verify
// Private signing keys live in test/fixtures/stacks/<stack>.test-only.json: they are published test
// material, never to be used for a real collaboration.
import { createPrivateKey, generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { cleanRoomContract } from "../../components/index.ts";
import { contractHash, signApproval, verifyApprovals, type Approvals, type Contract } from "../../enclave-app/src/protocol/index.ts";
import { CONFIG_NAMESPACE, loadStackConfig } from "../config.ts";
import { EXAMPLES, type ExampleCollaboration, type ExamplePartyKeys } from "./collaborations.ts";
import { configToPulumiConfig, renderStackFile } from "./stack-file.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function stackFilePath(stack: string): string {
  return join(ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

export function fixturePath(stack: string): string {
  return join(ROOT, "test", "fixtures", "stacks", `${stack}.test-only.json`);
}

interface FixtureParty {
  algorithm: "ES256" | "RS256";
  signingPrivateJwk: JsonWebKey;
  kekPublicJwk: JsonWebKey;
}

interface Fixture {
  warning: string;
  parties: Record<string, FixtureParty>;
}

/** Loads the example's test-only keys, creating any that are missing. */
export function loadOrCreateFixture(example: ExampleCollaboration): Fixture {
  const path = fixturePath(example.stack);
  const fixture: Fixture = existsSync(path)
    ? (JSON.parse(readFileSync(path, "utf8")) as Fixture)
    : { warning: "TEST ONLY: published private keys for the example stacks. Never use them for a real collaboration.", parties: {} };
  let changed = !existsSync(path);
  for (const [party, { signing: algorithm, keySize: kekSize }] of Object.entries(example.parties)) {
    const have = fixture.parties[party];
    if (have && have.algorithm === algorithm && Buffer.from(have.kekPublicJwk.n ?? "", "base64url").length * 8 === kekSize) continue;
    const signing =
      algorithm === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("rsa", { modulusLength: 2048 });
    const kek = generateKeyPairSync("rsa", { modulusLength: kekSize });
    fixture.parties[party] = {
      algorithm,
      signingPrivateJwk: signing.privateKey.export({ format: "jwk" }),
      kekPublicJwk: kek.publicKey.export({ format: "jwk" }),
    };
    changed = true;
  }
  if (changed) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(fixture, null, 2)}\n`);
  }
  return fixture;
}

export function publicKeysOf(fixture: Fixture): Record<string, ExamplePartyKeys> {
  return Object.fromEntries(
    Object.entries(fixture.parties).map(([name, p]) => {
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...signingPublic } = p.signingPrivateJwk;
      return [name, { signingKey: signingPublic, kekPublicKey: p.kekPublicJwk }];
    }),
  );
}

/** The contract the program builds from this config (same loader, same planner). */
export function contractFromConfig(config: Record<string, unknown>): Contract {
  const { [`${CONFIG_NAMESPACE}:approvals`]: _approvals, ...withoutApprovals } = config;
  const { args } = loadStackConfig(configToPulumiConfig(withoutApprovals));
  const contract = cleanRoomContract(args);
  if (!contract) throw new Error("the example config is incomplete: every party needs keys and every dataset a digest");
  return contract;
}

function existingApprovals(stack: string): Approvals | undefined {
  const path = stackFilePath(stack);
  if (!existsSync(path)) return undefined;
  const doc = parse(readFileSync(path, "utf8")) as { config?: Record<string, unknown> };
  return doc.config?.[`${CONFIG_NAMESPACE}:approvals`] as Approvals | undefined;
}

async function generate(example: ExampleCollaboration, check: boolean): Promise<boolean> {
  const fixture = check ? (JSON.parse(readFileSync(fixturePath(example.stack), "utf8")) as Fixture) : loadOrCreateFixture(example);
  const config = example.config(publicKeysOf(fixture));
  const contract = contractFromConfig(config);
  const path = stackFilePath(example.stack);
  const relative = `stacks/Pulumi.${example.stack}.yaml`;

  // Approvals are kept while they verify (ES256 signatures differ on every signing).
  let approvals = existingApprovals(example.stack);
  if (!approvals || !(await verifyApprovals(contract, approvals)).ok) {
    if (check) {
      console.error(`${example.stack}: ${relative} is missing or its approvals do not verify; run npx node stacks/examples/generate.ts`);
      return false;
    }
    approvals = {};
    for (const [party, p] of Object.entries(fixture.parties)) {
      approvals[party] = await signApproval(contract, party, createPrivateKey({ key: p.signingPrivateJwk, format: "jwk" }));
    }
    const report = await verifyApprovals(contract, approvals);
    if (!report.ok) throw new Error(`${example.stack}: freshly signed approvals do not verify: ${JSON.stringify(report)}`);
  }
  const text = renderStackFile(
    [
      `Example collaboration "${example.stack}": ${example.title}`,
      "Generated by stacks/examples/generate.ts; edit collaborations.ts and regenerate rather than editing by hand.",
      "Phase 2 config: party keys, dataset digests and approvals included. Principal, tenant and subscription ids,",
      "dataset digests, the TPM group id and the enclave image digest are placeholders; the keys are TEST ONLY",
      "(test/fixtures/stacks/).",
      ...(contract.attestation.mode === "confidential-container"
        ? [
            "enclave.ccePolicy is a PLACEHOLDER in confcom's output shape, NOT generated by confcom (layer hashes are zeros):",
            "generate the real one with npm run cce-policy -- --stack <name> and the az confcom command it prints (docs/infrastructure.md).",
            `Container policy hash (hostdata): ${contract.attestation.hostdata}`,
          ]
        : []),
      `Contract hash: ${contractHash(contract)}`,
    ].join("\n"),
    { ...config, [`${CONFIG_NAMESPACE}:approvals`]: approvals },
  );
  const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (current === text) {
    if (!check) console.log(`${example.stack}: ${relative} is up to date (contract ${contractHash(contract)})`);
    return true;
  }
  if (check) {
    console.error(`${example.stack}: ${relative} differs from what collaborations.ts generates; run npx node stacks/examples/generate.ts`);
    return false;
  }
  writeFileSync(path, text);
  console.log(`${example.stack}: wrote ${relative} (contract ${contractHash(contract)})`);
  return true;
}

/** Regenerates (or, with check, only verifies) every example stack file; false if any is out of date. */
export async function generateExamples(check: boolean): Promise<boolean> {
  let ok = true;
  for (const example of EXAMPLES) ok = (await generate(example, check)) && ok;
  return ok;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!(await generateExamples(process.argv.includes("--check")))) process.exitCode = 1;
}

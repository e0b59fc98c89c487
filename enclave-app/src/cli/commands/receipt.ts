/**
 * `cleanroom receipt verify`: offline check of a run's receipt by anyone holding it (a party, a
 * recipient, an auditor). Exit 0 when every applicable check passes; exit 1 naming the first check
 * that failed; exit 2 when an input is unusable.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Command } from "commander";
import { JSON_MAX_BYTES, parseContract, parseJsonStrict, type Contract } from "../../protocol/index.ts";
import { isJwks, verifyReceipt, type VerifyReceiptOptions } from "../../receipt/index.ts";
import { CliError, EXIT_VERIFICATION_FAILED } from "../output.ts";
import { readTextFile } from "./contract.ts";

interface VerifyCommandOptions {
  jwks?: string;
  contract?: string;
  outputs?: string;
  authority?: string[];
  ca?: string;
  json?: boolean;
}

async function readJson(path: string, what: string): Promise<unknown> {
  const text = await readTextFile(path, what);
  try {
    return parseJsonStrict(text, { what: `${what} ${path}`, maxBytes: JSON_MAX_BYTES.receipt });
  } catch (error) {
    throw new CliError("INPUT_INVALID", (error as Error).message);
  }
}

/**
 * Output files for the receipt's blobs: `<dir>/<blob name>` (the container layout) or
 * `<dir>/<file name>` (a flat download). Every `result.*` file in the directory is checked, so a
 * file that belongs to no output of this receipt fails verification too.
 */
export async function collectOutputs(dir: string, blobNames: string[]): Promise<Record<string, Buffer>> {
  const found: Record<string, Buffer> = {};
  const used = new Set<string>();
  for (const blobName of blobNames) {
    for (const candidate of [join(dir, blobName), join(dir, basename(blobName))]) {
      const info = await stat(candidate).catch(() => undefined);
      if (info?.isFile()) {
        found[blobName] = await readFile(candidate);
        used.add(basename(candidate));
        break;
      }
    }
  }
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    throw new CliError("INPUT_INVALID", `outputs directory ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`, { cause: error });
  }
  for (const name of entries) {
    if (!/^result\..+/.test(name) || used.has(name)) continue;
    const info = await stat(join(dir, name));
    if (info.isFile()) found[name] = await readFile(join(dir, name));
  }
  if (Object.keys(found).length === 0) {
    throw new CliError("INPUT_INVALID", `outputs directory ${dir} holds none of the receipt's result blobs`);
  }
  return found;
}

export async function runVerify(receiptPath: string, options: VerifyCommandOptions, write: (line: string) => void = (l) => process.stdout.write(l)): Promise<void> {
  const receipt = await readJson(receiptPath, "receipt");
  const verifyOptions: VerifyReceiptOptions = {};
  if (options.jwks !== undefined) {
    const jwks = await readJson(options.jwks, "JWKS file");
    if (!isJwks(jwks)) throw new CliError("INPUT_INVALID", `JWKS file ${options.jwks} has no "keys" array`);
    verifyOptions.jwks = jwks;
  }
  if (options.contract !== undefined) {
    let contract: Contract;
    try {
      contract = parseContract(await readJson(options.contract, "contract"));
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError("CONTRACT_INVALID", `contract ${options.contract} is invalid: ${(error as Error).message}`, { cause: error });
    }
    verifyOptions.contract = contract;
  }
  if (options.authority !== undefined && options.authority.length > 0) verifyOptions.trustedAuthorities = options.authority;
  if (options.ca !== undefined) verifyOptions.caCertPem = await readTextFile(options.ca, "CA certificate");
  if (verifyOptions.jwks === undefined && verifyOptions.contract === undefined && verifyOptions.trustedAuthorities === undefined) {
    throw new CliError("OPTIONS_INVALID", "say whose signature to trust: --jwks <file>, --authority <url> or --contract <file>");
  }
  if (options.outputs !== undefined) {
    const outputs = (receipt as { outputs?: { blobName?: unknown }[] } | null)?.outputs;
    const names = Array.isArray(outputs) ? outputs.map((o) => o?.blobName).filter((n): n is string => typeof n === "string") : [];
    verifyOptions.outputBlobs = await collectOutputs(options.outputs, names);
  }

  const result = await verifyReceipt(receipt, verifyOptions);
  if (options.json) write(`${JSON.stringify(result.ok ? { ok: true, passed: result.passed } : { ok: false, failure: result.failure, passed: result.passed })}\n`);
  if (!result.ok) {
    throw new CliError("RECEIPT_INVALID", `receipt check "${result.failure.check}" failed: ${result.failure.message}`, { exitCode: EXIT_VERIFICATION_FAILED });
  }
  if (!options.json) {
    const r = result.receipt;
    write(`receipt OK: collaboration ${r.collaboration}, contract ${r.contractHash}, run ${r.runId}\n`);
    write(`  attested by ${r.attestation.authority} (${r.attestation.mode}, ${r.attestation.attester}); signer bound via ${r.signer.binding}\n`);
    write(`  ${r.datasets.length} dataset(s), ${r.outputs.length} output(s), ${r.privacy.rowsReleased} row(s) released, ${r.privacy.rowsSuppressed} suppressed\n`);
    write(`  checks passed: ${result.passed.join(", ")}\n`);
  }
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  const receipt = program.command("receipt").description("verify the signed receipt a clean room run writes last");
  receipt
    .command("verify")
    .description("check a receipt offline: attestation token, signing-key binding, receipt signature, contract and output digests")
    .argument("<receipt>", "receipt.json downloaded from the output container")
    .option("--jwks <file>", "the attestation authority's signing keys (JWKS, e.g. a saved copy of <authority>/certs)")
    .option("--contract <file>", "the approved contract: checks its hash, datasets, recipients, image and attestation policy")
    .option("--outputs <dir>", "directory with the downloaded result blobs; each must match its digest in the receipt")
    .option("--authority <url>", "trust this attestation authority and fetch its keys (repeatable)", collect)
    .option("--ca <file>", "PEM CA to trust when fetching authority keys (local clean room)")
    .option("--json", "print the verification result as JSON")
    .action(async (receiptPath: string, options: VerifyCommandOptions) => {
      await runVerify(receiptPath, options);
    });
}

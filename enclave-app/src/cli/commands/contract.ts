// `cleanroom contract hash | sign | verify | lint`: what a party runs to identify, approve and check a
// collaboration contract. Exit 0 = success, 1 = negative verdict (invalid contract, approvals
// incomplete), 2 = unusable input (unreadable file, bad JSON, wrong key).
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { CliError, EXIT_USAGE, EXIT_VERIFICATION_FAILED } from "../output.ts";
import { loadKey } from "../keys.ts";
import { registerLint } from "./contract-lint.ts";
import {
  ApprovalError,
  contractHash,
  JSON_MAX_BYTES,
  parseJsonStrict,
  parseApprovals,
  signApproval,
  validateContract,
  verifyApprovals,
  type ApprovalReport,
  type Contract,
} from "../../protocol/index.ts";

type Writer = (text: string) => void;

/** stdout/stderr as the command's commander output configuration routes them (tests capture them). */
export function writers(cmd: Command): { out: Writer; err: Writer } {
  const config = cmd.configureOutput();
  return {
    out: config.writeOut ?? ((s: string) => void process.stdout.write(s)),
    err: config.writeErr ?? ((s: string) => void process.stderr.write(s)),
  };
}

/** Reads and parses a JSON file; unreadable files and bad JSON are usage errors (exit 2) naming the file. */
export async function readJsonFile(path: string, what: string, maxBytes: number = JSON_MAX_BYTES.contract): Promise<unknown> {
  const text = await readTextFile(path, what);
  try {
    return parseJsonStrict(text, { what: `${what} ${path}`, maxBytes });
  } catch (error) {
    throw new CliError("INPUT_NOT_JSON", (error as Error).message, { cause: error });
  }
}

export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    const problem = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory" : `cannot be read (${code})`;
    throw new CliError("INPUT_UNREADABLE", `${what} ${path} ${problem}`, { cause: error });
  }
}

/** Loads and validates a contract; an invalid one lists every issue on stderr and exits 1. */
async function loadContract(path: string, err: Writer): Promise<Contract> {
  const input = await readJsonFile(path, "contract file");
  const result = validateContract(input);
  if (result.ok) return result.contract;
  err(`contract ${path} is invalid (${result.issues.length} issue${result.issues.length === 1 ? "" : "s"}):\n`);
  for (const issue of result.issues) err(`  - ${issue.path || "(document)"}: ${issue.message} [${issue.rule}]\n`);
  throw new CliError("CONTRACT_INVALID", `contract ${path} is invalid: ${result.issues.length} issue(s), listed above`, {
    exitCode: EXIT_VERIFICATION_FAILED,
  });
}

function reportText(contract: Contract, report: ApprovalReport): string {
  const lines = [
    `Contract ${contract.collaboration} (sha256 ${report.contractHash})`,
    `Required approvers: ${report.required.join(", ") || "none"}`,
  ];
  const invalid = new Map(report.invalid.map((i) => [i.party, i.reason]));
  const parties = [...new Set([...report.required, ...report.approved, ...invalid.keys()])].sort();
  for (const party of parties) {
    const role = report.required.includes(party) ? "" : " (co-signer)";
    if (report.approved.includes(party)) lines.push(`  ✓ ${party}${role}: approved`);
    else if (invalid.has(party)) lines.push(`  ✗ ${party}${role}: invalid: ${invalid.get(party)}`);
    else lines.push(`  ✗ ${party}${role}: missing`);
  }
  lines.push(
    report.ok
      ? "Verdict: APPROVED by every dataset owner"
      : `Verdict: NOT APPROVED (${report.missing.length} missing, ${report.invalid.length} invalid)`,
  );
  return lines.join("\n") + "\n";
}

function failureSummary(report: ApprovalReport): string {
  const parts = [
    ...report.missing.map((p) => `${p} missing`),
    ...report.invalid.map((i) => `${i.party} invalid (${i.reason})`),
  ];
  return `approvals do not cover contract ${report.contractHash.slice(0, 12)}…: ${parts.join("; ")}`;
}

export function register(program: Command): void {
  const contract = program.command("contract").description("identify, approve and check a collaboration contract");

  contract
    .command("hash")
    .description("validate a contract and print its sha256 (RFC 8785 canonical JSON)")
    .argument("<contract.json>", "contract file")
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const { out, err } = writers(cmd);
      const parsed = await loadContract(file, err);
      out(`${contractHash(parsed)}\n`);
    });

  contract
    .command("sign")
    .description("approve a contract as a party: prints a compact JWS over its hash")
    .argument("<contract.json>", "contract file")
    .requiredOption("--party <name>", "the approving party, as named in the contract")
    .requiredOption("--key <file>", "the party's private signing key (PEM or JWK)")
    .action(async (file: string, opts: { party: string; key: string }, cmd: Command) => {
      const { out, err } = writers(cmd);
      const parsed = await loadContract(file, err);
      const key = await loadKey(opts.key, "private");
      try {
        out(`${await signApproval(parsed, opts.party, key)}\n`);
      } catch (error) {
        if (error instanceof ApprovalError) throw new CliError(error.code, error.message, { exitCode: EXIT_USAGE, cause: error });
        throw error;
      }
    });

  registerLint(contract, loadContract, writers);

  contract
    .command("verify")
    .description("check that every dataset owner approved this exact contract")
    .argument("<contract.json>", "contract file")
    .requiredOption("--approvals <file>", "JSON object mapping party name -> approval JWS")
    .option("--json", "print the report as JSON")
    .action(async (file: string, opts: { approvals: string; json?: boolean }, cmd: Command) => {
      const { out, err } = writers(cmd);
      const parsed = await loadContract(file, err);
      const raw = await readJsonFile(opts.approvals, "approvals file", JSON_MAX_BYTES.approvals);
      let approvals;
      try {
        approvals = parseApprovals(raw);
      } catch (error) {
        throw new CliError("APPROVALS_MALFORMED", `approvals file ${opts.approvals}: ${(error as Error).message}`, { cause: error });
      }
      const report = await verifyApprovals(parsed, approvals);
      out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : reportText(parsed, report));
      if (!report.ok) throw new CliError("APPROVALS_INCOMPLETE", failureSummary(report), { exitCode: EXIT_VERIFICATION_FAILED });
    });
}

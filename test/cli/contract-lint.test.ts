// `cleanroom contract lint`: the verdict the enclave's analyzer will reach, printed before signing.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { register as registerContract } from "../../enclave-app/src/cli/commands/contract.ts";
import { exitCodeFor, formatError } from "../../enclave-app/src/cli/output.ts";
import { rawFraudContract } from "../protocol/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "cleanroom-cli-lint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lint(contract: unknown, ...flags: string[]): Promise<{ code: number; out: string; err: string }> {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(contract));
  const result = { code: 0, out: "", err: "" };
  const program = new Command("cleanroom").exitOverride().configureOutput({ writeOut: (s) => void (result.out += s), writeErr: (s) => void (result.err += s), outputError: () => {} });
  registerContract(program);
  try {
    await program.parseAsync(["contract", "lint", path, ...flags], { from: "user" });
  } catch (error) {
    result.code = exitCodeFor(error);
    result.err += formatError(error);
  }
  return result;
}

function enforced(sql?: string): Record<string, any> {
  const c = rawFraudContract();
  c.datasets[0].analysis = { privacyUnit: "customer_ref", dimensions: ["region", "flagged"], joinColumns: ["customer_ref"] };
  c.datasets[1].analysis = {
    privacyUnit: "customer_ref",
    dimensions: ["suspicious"],
    joinColumns: ["customer_ref"],
    aggregates: { claim_amount: ["SUM"], customer_ref: ["COUNT_DISTINCT"] },
    clamp: { claim_amount: { min: 0, max: 50000 } },
    minGroupSize: 25,
  };
  if (sql !== undefined) c.sql = sql;
  return c;
}

describe("cleanroom contract lint", () => {
  it("accepts the fraud query under the owners' rules and prints mode, k, outputs and dimensions", async () => {
    const r = await lint(enforced());
    expect(r.code).toBe(0);
    expect(r.out).toContain("Mode: enforced (analysis rules declared by bank, insurer)");
    expect(r.out).toContain("k = 25 (privacy.minGroupSize 10; insurer 25), counted by the engine as distinct insurer_claims.customer_ref, bank_transactions.customer_ref");
    expect(r.out).toMatch(/customers\s+aggregate\s+COUNT_DISTINCT\(insurer_claims\.customer_ref\)/);
    expect(r.out).toMatch(/total_claimed\s+aggregate\s+SUM\(insurer_claims\.claim_amount\)/);
    expect(r.out).toContain("Dimensions (GROUP BY): bank_transactions.region");
    expect(r.out).toContain("Verdict: ACCEPTED");
  });

  it("lists every refusal reason with its clause and rule, exit 1", async () => {
    const r = await lint(enforced("SELECT t.region, count(*) OVER () AS customers FROM bank_transactions t ORDER BY t.region LIMIT 1"));
    expect(r.code).toBe(1);
    expect(r.out).toContain("select[1] [window-function]");
    expect(r.out).toContain("limit [limit]");
    expect(r.out).toContain("Verdict: REFUSED");
    const json = await lint(enforced("SELECT 1000 AS customers FROM bank_transactions"), "--json");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, mode: "enforced", k: 25, problems: [{ clause: "select[0]", rule: "constant-output" }] });
  });

  it("says a contract without analysis rules runs in the weaker legacy mode, unanalysed", async () => {
    const r = await lint(rawFraudContract());
    expect(r.code).toBe(0);
    expect(r.out).toContain('Mode: legacy (no dataset declares analysis rules)');
    expect(r.out).toContain('count column "customers"');
    expect(r.out).toContain("Verdict: NOT ANALYSED (legacy mode)");
  });
});

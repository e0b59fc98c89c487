// The enclave image starts the process the container group runs and the container policy fixes:
// the Dockerfile's CMD and WORKDIR are ENCLAVE_COMMAND and ENCLAVE_WORKING_DIR.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENCLAVE_COMMAND, ENCLAVE_WORKING_DIR } from "../../enclave-app/src/protocol/index.ts";

const dockerfile = readFileSync(new URL("../../enclave-app/Dockerfile", import.meta.url), "utf8");

/** CMD and WORKDIR per build stage, a stage built FROM an earlier one inheriting its WORKDIR. */
function stages(): { name: string; cmd?: string[]; workdir?: string }[] {
  const out: { name: string; cmd?: string[]; workdir?: string }[] = [];
  for (const line of dockerfile.split("\n")) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      const base = out.find((s) => s.name === from[1]);
      out.push({ name: from[2] ?? `stage-${out.length}`, ...(base?.workdir ? { workdir: base.workdir } : {}) });
    }
    const cmd = /^CMD\s+(\[.*\])\s*$/.exec(line);
    if (cmd && out.length > 0) out.at(-1)!.cmd = JSON.parse(cmd[1]!) as string[];
    const workdir = /^WORKDIR\s+(\S+)/.exec(line);
    if (workdir && out.length > 0) out.at(-1)!.workdir = workdir[1]!;
  }
  return out;
}

describe("enclave-app/Dockerfile", () => {
  it("runs ENCLAVE_COMMAND from ENCLAVE_WORKING_DIR in every stage that has a CMD", () => {
    const withCmd = stages().filter((s) => s.cmd !== undefined);
    expect(withCmd.length).toBeGreaterThanOrEqual(1);
    for (const s of withCmd) {
      expect(s.cmd, s.name).toEqual(ENCLAVE_COMMAND);
      expect(s.workdir, s.name).toBe(ENCLAVE_WORKING_DIR);
    }
  });
});

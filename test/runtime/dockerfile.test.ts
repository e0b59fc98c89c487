// The enclave Dockerfile: what a user relies on when building the confidential-node image.
// Parses enclave-app/Dockerfile (instructions with their line continuations joined, comments dropped).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENCLAVE_COMMAND, ENCLAVE_WORKING_DIR } from "../../enclave-app/src/protocol/index.ts";

const DOCKERFILE = new URL("../../enclave-app/Dockerfile", import.meta.url);
const text = readFileSync(DOCKERFILE, "utf8");

interface Instruction {
  keyword: string;
  args: string;
}

function parse(source: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = "";
  for (const raw of source.split("\n")) {
    const line = raw.trimEnd();
    if (buf === "" && (line.trim() === "" || line.trimStart().startsWith("#"))) continue;
    if (buf !== "" && line.trimStart().startsWith("#")) continue; // comment inside a continuation
    if (line.endsWith("\\")) {
      buf += line.slice(0, -1) + " ";
      continue;
    }
    buf += line;
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(buf);
    if (m) out.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).replace(/\s+/g, " ").trim() });
    buf = "";
  }
  return out;
}

const instructions = parse(text);

/** ARG defaults (global and per stage; a later default does not override the first one). */
const argDefaults = new Map<string, string>();
for (const i of instructions) {
  if (i.keyword !== "ARG") continue;
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(i.args);
  if (m && !argDefaults.has(m[1] as string)) argDefaults.set(m[1] as string, m[2] as string);
}

function expand(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, b: string | undefined) => argDefaults.get((a ?? b) as string) ?? "");
}

interface Stage {
  image: string;
  name: string | undefined;
  body: Instruction[];
}

const stages: Stage[] = [];
for (const i of instructions) {
  if (i.keyword === "FROM") {
    const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args);
    if (!m) throw new Error(`unreadable FROM: ${i.args}`);
    stages.push({ image: m[1] as string, name: m[2], body: [] });
  } else {
    stages.at(-1)?.body.push(i);
  }
}
const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => n !== undefined));

function stage(name: string): Stage {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
}

function aptInstalls(s: Stage): string[] {
  const pkgs: string[] = [];
  for (const i of s.body.filter((x) => x.keyword === "RUN")) {
    for (const m of i.args.matchAll(/apt-get install\s+((?:[^&|;]|&(?!&))+)/g)) {
      pkgs.push(...(m[1] as string).split(/\s+/).filter((w) => w !== "" && !w.startsWith("-")));
    }
  }
  return pkgs;
}

describe("enclave-app/Dockerfile", () => {
  it("pins every base image by sha256 digest (directly or through an ARG default)", () => {
    expect(stages.length).toBeGreaterThan(0);
    for (const s of stages) {
      if (s.image === "scratch" || stageNames.has(s.image)) continue;
      const image = expand(s.image);
      expect(image, `FROM ${s.image}`).toMatch(/^[^\s@]+@sha256:[0-9a-f]{64}$/);
    }
  });

  it("builds the CVM tools from Microsoft's repository at a full 40-hex commit, checked after the fetch", () => {
    expect(argDefaults.get("CVM_ATTESTATION_REPO")).toBe("https://github.com/Azure/confidential-computing-cvm-guest-attestation.git");
    expect(argDefaults.get("CVM_ATTESTATION_COMMIT")).toMatch(/^[0-9a-f]{40}$/);
    const build = stage("cvm-tools-build");
    const runs = build.body.filter((i) => i.keyword === "RUN").map((i) => i.args).join("\n");
    expect(runs).toContain('git fetch -q --depth 1 origin "${CVM_ATTESTATION_COMMIT}"');
    expect(runs).toContain('test "$(git rev-parse HEAD)" = "${CVM_ATTESTATION_COMMIT}"');
    // The three artefacts come from the three upstream source trees.
    expect(runs).toContain("client-library/src/Attestation");
    expect(runs).toContain("cvm-securekey-release-app");
    expect(runs).toContain("cvm-attestation-sample-app");
    // The builder is the runtime's own base, so sonames match the runtime packages.
    expect(build.image).toBe("${NODE_IMAGE}");
    expect(stage("runtime").image).toBe("${NODE_IMAGE}");
  });

  it("has no placeholder tools image left", () => {
    expect(text).not.toMatch(/CVM_TOOLS_IMAGE/);
    expect(text).not.toMatch(/cleanroom-cvm-tools:local/);
  });

  it("copies AzureAttestSKR, AttestationClient and libazguestattestation.so.1 into confidential-node", () => {
    const cn = stage("confidential-node");
    expect(cn.image).toBe("runtime");
    const copies = cn.body.filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(copies).toContain("--from=cvm-tools /out/AzureAttestSKR /out/AttestationClient /usr/local/bin/");
    expect(copies).toContain("--from=cvm-tools /out/libazguestattestation.so.1 /usr/local/lib/");
    expect(cn.body.some((i) => i.keyword === "RUN" && i.args === "ldconfig")).toBe(true);
    expect(cn.body.filter((i) => i.keyword === "USER").at(-1)?.args).toBe("1000:1000");
    // The tools stage writes exactly those files.
    expect(stage("cvm-tools").image).toBe("scratch");
    const out = stage("cvm-tools-build").body.map((i) => i.args).join("\n");
    expect(out).toContain("cp /build/skr/AzureAttestSKR /build/client/AttestationClient /out/");
    expect(out).toContain("/out/libazguestattestation.so.1");
  });

  it("installs the Debian 12 bookworm runtime package names (node:24-slim is bookworm)", () => {
    expect(aptInstalls(stage("confidential-node")).sort()).toEqual(
      ["ca-certificates", "libcurl4", "libssl3", "libtss2-esys-3.0.2-0", "libtss2-mu0", "libtss2-tcti-device0"].sort(),
    );
    // trixie's t64 names do not exist on bookworm (and vice versa): no mixing.
    expect(aptInstalls(stage("confidential-node")).filter((p) => p.endsWith("t64"))).toEqual([]);
    expect(aptInstalls(stage("cvm-tools-build"))).toEqual(expect.arrayContaining(["libtss2-dev", "libssl-dev", "libcurl4-openssl-dev", "nlohmann-json3-dev"]));
  });

  it("runs ENCLAVE_COMMAND from ENCLAVE_WORKING_DIR, the process the container group runs and its policy fixes", () => {
    /** A stage's last WORKDIR, or the one of the stage it is built FROM. */
    const workdir = (s: Stage): string | undefined =>
      s.body.filter((i) => i.keyword === "WORKDIR").at(-1)?.args ?? (stageNames.has(s.image) ? workdir(stage(s.image)) : undefined);
    const withCmd = stages.filter((s) => s.body.some((i) => i.keyword === "CMD"));
    expect(withCmd.map((s) => s.name)).toEqual(["runtime", "confidential-node"]);
    for (const s of withCmd) {
      expect(JSON.parse(s.body.filter((i) => i.keyword === "CMD").at(-1)!.args), s.name).toEqual(ENCLAVE_COMMAND);
      expect(workdir(s), s.name).toBe(ENCLAVE_WORKING_DIR);
    }
  });

  it("keeps the plain runtime as the default (last) stage", () => {
    const last = stages.at(-1);
    expect(last?.name).toBe("enclave");
    expect(last?.image).toBe("runtime");
  });
});

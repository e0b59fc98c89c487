// Dependency direction inside enclave-app/src: protocol <- envelope <- receipt <- runtime, with the
// CLI, the local clean room and the demo on top. No file under runtime/ may import the local clean
// room (left out of the enclave image), the CLI, the demo or anything outside enclave-app/src; the
// receipt verifier parties run imports the protocol only; and the image copies every folder the
// runtime reaches. Static scan of every import specifier, static or dynamic.
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../enclave-app/src");
const RUNTIME = join(SRC, "runtime");

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** `import ... from "x"`, `export ... from "x"`, `import("x")`, `import "x"`. */
function importSpecifiers(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/\b(?:from|import)\s*\(?\s*["'`]([^"'`]+)["'`]/g)) specs.push(m[1]!);
  return specs;
}

/** enclave-app/src folders reached from `folder`'s files by relative imports (first segment of the target). */
async function foldersImportedBy(folder: string): Promise<Map<string, string[]>> {
  const reached = new Map<string, string[]>();
  for (const file of await sourceFiles(join(SRC, folder))) {
    for (const spec of importSpecifiers(await readFile(file, "utf8"))) {
      if (!spec.startsWith(".")) continue;
      const target = relative(SRC, resolve(dirname(file), spec));
      const top = target.startsWith("..") ? target : target.split("/")[0]!;
      reached.set(top, [...(reached.get(top) ?? []), `${relative(SRC, file)} -> ${spec}`]);
    }
  }
  return reached;
}

describe("runtime layering", () => {
  it("finds static, re-export and dynamic import specifiers", () => {
    expect(importSpecifiers(`import { a } from "../local/x.ts";\nexport { b } from './y.ts';\nconst c = await import("../local/z.ts");\nimport "side.ts";`)).toEqual([
      "../local/x.ts",
      "./y.ts",
      "../local/z.ts",
      "side.ts",
    ]);
  });

  it("no file under enclave-app/src/runtime imports enclave-app/src/{local,cli,demo}", async () => {
    const files = await sourceFiles(RUNTIME);
    expect(files.length).toBeGreaterThan(20);
    const offending: string[] = [];
    for (const file of files) {
      for (const spec of importSpecifiers(await readFile(file, "utf8"))) {
        if (!spec.startsWith(".")) continue;
        const target = relative(SRC, resolve(dirname(file), spec));
        if (/^(local|cli|demo)(\/|$)/.test(target) || target.startsWith("..")) offending.push(`${relative(SRC, file)} -> ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("the receipt layer imports the protocol only; the protocol imports nothing of the project", async () => {
    expect([...(await foldersImportedBy("receipt")).keys()].sort()).toEqual(["protocol", "receipt"]);
    expect([...(await foldersImportedBy("protocol")).keys()]).toEqual(["protocol"]);
  });

  it("the enclave image copies every folder the runtime imports", async () => {
    const dockerfile = await readFile(resolve(SRC, "../Dockerfile"), "utf8");
    for (const folder of (await foldersImportedBy("runtime")).keys()) {
      expect(dockerfile).toContain(`COPY enclave-app/src/${folder} ./enclave-app/src/${folder}`);
    }
  });
});

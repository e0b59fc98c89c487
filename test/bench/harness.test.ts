// The benchmark harness's pure parts and its local-file BlobStore. No timing assertions.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_ROWS, QUICK_ROWS, defaultMemoryLimit, parseBenchArgs } from "../../bench/lib/args.ts";
import { FileBlobStore } from "../../bench/lib/file-blob-store.ts";
import { benchScenario, fraudSql } from "../../bench/lib/scenario.ts";
import { interleave, mbPerSecond, median, summarize } from "../../bench/lib/stats.ts";
import { markdownTable, renderReport, type MeasurementRecord } from "../../bench/lib/table.ts";
import { fraudDefinition } from "../../enclave-app/src/demo/scenarios/index.ts";
import type { BlobStore } from "../../enclave-app/src/runtime/index.ts";

describe("bench arguments", () => {
  const env = { cores: 8, memoryBytes: 32 * 1024 ** 3 };

  it("defaults to 5,000,000 rows, 2 parties, both formats and storages, 5 runs after 1 warm-up", () => {
    const a = parseBenchArgs([], env);
    expect(a).toMatchObject({ rows: DEFAULT_ROWS, parties: [2], formats: ["csv", "parquet"], storages: ["file", "azurite"], runs: 5, warmup: 1, threads: 8, memoryLimit: "16GB" });
    expect(a.only).toEqual(["aes", "reader", "pipeline", "duckdb"]);
  });

  it("--quick means 200,000 rows and 3 runs unless --rows / --runs say otherwise", () => {
    expect(parseBenchArgs(["--quick"], env)).toMatchObject({ rows: QUICK_ROWS, runs: 3, quick: true });
    expect(parseBenchArgs(["--quick", "--rows", "20000", "--runs=7"], env)).toMatchObject({ rows: 20_000, runs: 7 });
  });

  it("parses lists and sizes", () => {
    const a = parseBenchArgs(["--parties", "2,3,10", "--formats", "parquet", "--storage", "file", "--only", "pipeline,duckdb", "--memory-limit", "6GB", "--threads", "4", "--rows", "1_000_000"], env);
    expect(a).toMatchObject({ parties: [2, 3, 10], formats: ["parquet"], storages: ["file"], only: ["pipeline", "duckdb"], memoryLimit: "6GB", threads: 4, rows: 1_000_000 });
  });

  it("refuses what it cannot use, naming the option", () => {
    expect(() => parseBenchArgs(["--rows", "0"], env)).toThrow(/--rows/);
    expect(() => parseBenchArgs(["--parties", "1"], env)).toThrow(/--parties/);
    expect(() => parseBenchArgs(["--formats", "json"], env)).toThrow(/"json"/);
    expect(() => parseBenchArgs(["--memory-limit", "lots"], env)).toThrow(/--memory-limit/);
    expect(() => parseBenchArgs(["--fast"], env)).toThrow(/unknown option --fast/);
  });

  it("memory limit default is half the RAM, at least 1GB", () => {
    expect(defaultMemoryLimit(24 * 1024 ** 3)).toBe("12GB");
    expect(defaultMemoryLimit(1024 ** 3)).toBe("1GB");
  });
});

describe("bench statistics", () => {
  it("median, min, max and spread", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(summarize([10, 12, 11, 30, 9])).toEqual({ n: 5, median: 11, min: 9, max: 30, spread: 21 / 11 });
    expect(() => median([])).toThrow();
  });

  it("interleaves variants so each takes every position across rounds", () => {
    expect(interleave(["a", "b", "c"], 0)).toEqual(["a", "b", "c"]);
    expect(interleave(["a", "b", "c"], 1)).toEqual(["b", "c", "a"]);
    expect(interleave(["a", "b", "c"], 5)).toEqual(["c", "a", "b"]);
  });

  it("MB/s is 10^6 bytes per second", () => {
    expect(mbPerSecond(500_000_000, 250)).toBe(2000);
  });
});

describe("bench report", () => {
  it("formats a markdown table", () => {
    expect(markdownTable(["a", "b"], [["1", "2"]], ["l", "r"])).toBe("| a | b |\n| --- | ---: |\n| 1 | 2 |");
  });

  it("renders the measurements and the (2)/(1) and (3)/(4) ratios of medians", () => {
    const s = (ms: number, bytes = 1e9) => ({ ms, bytes, maxRssKiB: 204_800, rssBeforeKiB: 102_400, round: 0 });
    const m: MeasurementRecord[] = [
      { id: "aes-1", kind: "aes", label: "(1) AES", parties: 2, threads: 1, samples: [s(400), s(500), s(600)] },
      { id: "reader", kind: "reader", label: "(2) reader", parties: 2, format: "csv", samples: [s(1000), s(1000), s(1200)] },
      { id: "pipe", kind: "pipeline", label: "(3) pipeline", parties: 2, format: "csv", storage: "file", samples: [s(3000), s(3000), s(3000)].map((x, i) => ({ ...x, detail: { stepsMs: { decrypt: 1000 + i * 100, sql: 1500 } } })) },
      { id: "duck", kind: "duckdb", label: "(4) load", parties: 2, format: "csv", mode: "load", samples: [s(2000), s(2000), s(2000)] },
    ];
    const text = renderReport(m, { cores: 2, cpuModel: "Test CPU", memoryBytes: 8 * 1024 ** 3, versions: { node: "24.0.0", duckdb: "v1" }, rows: 1000, runs: 3, warmup: 1, threads: 2, memoryLimit: "4GB" });
    expect(text).toContain("2 cores (Test CPU), 8.0 GiB RAM; node 24.0.0, duckdb v1");
    expect(text).toContain("| 2 | (2) reader | csv | 1.00 | 1.00–1.20 | 1000 | 200 |");
    expect(text).toContain("| 2 | csv | (2)/(1) reader / AES one core, MB/s | 0.50 |");
    expect(text).toContain("| 2 | csv | (3)/(4) enclave (file) / DuckDB load, time | 1.50 |");
    expect(text).toContain("| 2 | file | csv | 0.00 | 0.00 | 0.00 | 0.00 | 0.00 | 1.10 | 1.50 |");
  });
});

describe("bench scenario", () => {
  it("2 parties is the demo's fraud collaboration, SQL unchanged", () => {
    const s = benchScenario(2);
    expect(s.parties).toEqual(["bank", "insurer"]);
    expect(s.datasets.map((d) => d.name)).toEqual(["bank_transactions", "insurer_claims"]);
    expect(s.sql).toBe(fraudDefinition.sql);
  });

  it("more parties are more insurers, read through one UNION ALL", () => {
    const s = benchScenario(4);
    expect(s.parties).toEqual(["bank", "insurer", "insurer-2", "insurer-3"]);
    expect(s.datasets.map((d) => `${d.owner}:${d.name}:${d.container}`)).toEqual([
      "bank:bank_transactions:input-bank",
      "insurer:insurer_claims:input-insurer",
      "insurer-2:insurer_claims_2:input-insurer-2",
      "insurer-3:insurer_claims_3:input-insurer-3",
    ]);
    expect(fraudSql(["insurer_claims", "insurer_claims_2"])).toContain("FROM (SELECT customer_pid, claim_amount, suspicious FROM insurer_claims UNION ALL SELECT customer_pid, claim_amount, suspicious FROM insurer_claims_2) AS insurer_claims");
  });
});

describe("FileBlobStore", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "bench-blobstore-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function read(stream: NodeJS.ReadableStream): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks);
  }

  it("satisfies the runtime's BlobStore and round-trips a blob with its metadata", async () => {
    const store: BlobStore = new FileBlobStore(root, { readChunkBytes: 7 });
    const data = Buffer.from("some ciphertext bytes, more than one read chunk long");
    await store.uploadNew("output", "abc/run-1/result.bank.csv", data, { encryptiondata: '{"x":1}' });
    const props = await store.getProperties("output", "abc/run-1/result.bank.csv");
    expect(props.contentLength).toBe(data.length);
    expect(props.metadata).toEqual({ encryptiondata: '{"x":1}' });
    expect(await read(await store.download("output", "abc/run-1/result.bank.csv", props.etag))).toEqual(data);
    await store.deleteIfExists("output", "abc/run-1/result.bank.csv");
    await expect(store.getProperties("output", "abc/run-1/result.bank.csv")).rejects.toMatchObject({ statusCode: 404 });
    await store.deleteIfExists("output", "abc/run-1/result.bank.csv");
  });

  it("never overwrites, refuses a changed blob's old ETag and names outside the container", async () => {
    const store = new FileBlobStore(root);
    await store.uploadNew("input-bank", "a.csv", Buffer.from("one"), {});
    await expect(store.uploadNew("input-bank", "a.csv", Buffer.from("two"), {})).rejects.toMatchObject({ statusCode: 409 });
    const before = await store.getProperties("input-bank", "a.csv");
    const src = join(root, "replacement");
    await writeFile(src, "replaced!");
    await store.deleteIfExists("input-bank", "a.csv");
    await store.linkExisting("input-bank", "a.csv", src, {});
    await expect(store.download("input-bank", "a.csv", before.etag)).rejects.toMatchObject({ statusCode: 412 });
    await expect(store.getProperties("input-bank", "../escape")).rejects.toMatchObject({ statusCode: 400 });
    await expect(store.getProperties("Bad_Container", "a.csv")).rejects.toMatchObject({ statusCode: 400 });
  });
});

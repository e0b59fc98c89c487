// The benchmark's data: the fraud collaboration's synthetic rows (the demo's generator) as CSV and
// as Parquet (written by DuckDB from the CSV), each dataset encrypted (CSE v2, 4 MiB regions,
// RSA-OAEP-256) under its owner's KEK. Kept in <dir>/r<rows>-p<parties>-s<seed>/ and reused when
// its manifest matches. Keys are generated here once and imported into each run's fresh Key Vault
// stand-in, so the ciphertext stays valid across runs.
import { csvFilesToParquet, csvReader } from "../../enclave-app/src/demo/parquet.ts";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fraudScenario } from "../../enclave-app/src/demo/scenarios/index.ts";
import { encryptStream, type EncryptionData } from "../../enclave-app/src/envelope/index.ts";
import type { ColumnSpec } from "../../enclave-app/src/protocol/index.ts";
import type { BenchFormat } from "./args.ts";
import { benchScenario } from "./scenario.ts";

export const FIXTURE_VERSION = 1;

export interface FixtureFile {
  plainPath: string;
  plaintextLength: number;
  cipherPath: string;
  blobName: string;
  ciphertextSha256: string;
  ciphertextLength: number;
  encryptionData: EncryptionData;
}

export interface FixtureDataset {
  name: string;
  owner: string;
  container: string;
  schema: ColumnSpec[];
  rows: number;
  files: Record<BenchFormat, FixtureFile>;
}

export interface FixtureParty {
  name: string;
  signingPrivatePem: string;
  kekPrivatePem: string;
  /** Placeholder KeyId in the fixture's metadata; each run rewrites it to its vault's key id. */
  placeholderKeyId: string;
}

export interface Fixture {
  version: number;
  dir: string;
  rows: number;
  seed: number;
  parties: FixtureParty[];
  datasets: FixtureDataset[];
  sql: string;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
export { csvReader };

export function plainReader(format: BenchFormat, path: string, schema: readonly ColumnSpec[]): string {
  return format === "csv" ? csvReader(path, schema) : `read_parquet(${quote(path)})`;
}

export async function loadFixture(dir: string): Promise<Fixture> {
  return JSON.parse(await readFile(join(dir, "fixture.json"), "utf8")) as Fixture;
}

export async function prepareFixture(opts: { baseDir: string; rows: number; parties: number; seed: number; log: (line: string) => void }): Promise<Fixture> {
  const dir = resolve(opts.baseDir, `r${opts.rows}-p${opts.parties}-s${opts.seed}`);
  if (existsSync(join(dir, "fixture.json"))) {
    const found = await loadFixture(dir);
    if (found.version === FIXTURE_VERSION && found.rows === opts.rows && found.parties.length === opts.parties) {
      opts.log(`fixture ${dir}: reused`);
      return found;
    }
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "plain"), { recursive: true, mode: 0o700 });
  await mkdir(join(dir, "cipher"), { recursive: true, mode: 0o700 });
  const scenario = benchScenario(opts.parties);

  opts.log(`fixture ${dir}: generating ${opts.rows.toLocaleString("en-US")} rows per party`);
  const generated = fraudScenario.generate({ rows: opts.rows, seed: opts.seed });
  const sources = new Map<string, string>();
  for (const g of generated) {
    const path = join(dir, "plain", `${g.dataset}.source.csv`);
    await writeFile(path, g.chunks);
    sources.set(g.dataset, path);
  }
  generated.length = 0;

  // Parquet from the CSV, through DuckDB (the types come from the contract schema, so they match it).
  const parquetSources = new Map<string, string>();
  const conversions = [...sources].map(([name, csv]) => {
    const out = join(dir, "plain", `${name}.source.parquet`);
    parquetSources.set(name, out);
    return { csv, parquet: out, schema: scenario.datasets.find((d) => d.source === name)!.schema };
  });
  await csvFilesToParquet(conversions);

  const parties: FixtureParty[] = scenario.parties.map((name) => {
    const signing = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const kek = generateKeyPairSync("rsa", { modulusLength: 3072 });
    return {
      name,
      signingPrivatePem: signing.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      kekPrivatePem: kek.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      placeholderKeyId: `https://bench-${name}.vault.azure.net/keys/kek/00000000000000000000000000000000`,
    };
  });

  const datasets: FixtureDataset[] = [];
  for (const ds of scenario.datasets) {
    const party = parties.find((p) => p.name === ds.owner)!;
    const kek = createPublicKey(createPrivateKey(party.kekPrivatePem));
    const files = {} as Record<BenchFormat, FixtureFile>;
    for (const format of ["csv", "parquet"] as const) {
      const source = format === "csv" ? sources.get(ds.source)! : parquetSources.get(ds.source)!;
      const plainPath = join(dir, "plain", `${ds.name}.${format}`);
      await link(source, plainPath);
      const blobName = `${ds.blobStem}.${format}`;
      const cipherPath = join(dir, "cipher", `${ds.name}.${format}.enc`);
      const result = await encryptStream(createReadStream(plainPath), createWriteStream(cipherPath, { mode: 0o600 }), {
        kek,
        keyId: party.placeholderKeyId,
        algorithm: "RSA-OAEP-256",
      });
      files[format] = {
        plainPath,
        plaintextLength: result.plaintextLength,
        cipherPath,
        blobName,
        ciphertextSha256: result.ciphertextSha256,
        ciphertextLength: result.ciphertextLength,
        encryptionData: result.encryptionData,
      };
    }
    datasets.push({ name: ds.name, owner: ds.owner, container: ds.container, schema: ds.schema, rows: opts.rows, files });
  }
  const fixture: Fixture = { version: FIXTURE_VERSION, dir, rows: opts.rows, seed: opts.seed, parties, datasets, sql: scenario.sql };
  await writeFile(join(dir, "fixture.json"), JSON.stringify(fixture, null, 2), { mode: 0o600 });
  opts.log(`fixture ${dir}: ${datasets.length} datasets, ${(totalPlaintext(fixture, "csv") / 1e6).toFixed(1)} MB CSV, ${(totalPlaintext(fixture, "parquet") / 1e6).toFixed(1)} MB Parquet`);
  return fixture;
}

export function totalPlaintext(fixture: Fixture, format: BenchFormat): number {
  return fixture.datasets.reduce((n, d) => n + d.files[format].plaintextLength, 0);
}

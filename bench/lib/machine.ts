// What the figures were measured on: cores, CPU model, memory, load and the versions involved.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import { DuckDBInstance } from "@duckdb/node-api";

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  loadavg: number[];
}

export function machineInfo(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m?.[1]) cpuModel = m[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return { cores: availableParallelism(), cpuModel, memoryBytes: totalmem(), kernel: release(), loadavg: loadavg().map((l) => Number(l.toFixed(2))) };
}

export async function versions(): Promise<Record<string, string>> {
  const require = createRequire(import.meta.url);
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  const duckdb = String((await conn.runAndReadAll("SELECT version()")).getRowsJS()[0]?.[0] ?? "unknown");
  conn.closeSync();
  instance.closeSync();
  let azurite = "unknown";
  try {
    azurite = (require("azurite/package.json") as { version: string }).version;
  } catch {
    // not installed
  }
  return { node: process.versions.node, duckdb, "@duckdb/node-api": (require("@duckdb/node-api/package.json") as { version: string }).version, openssl: process.versions.openssl ?? "unknown", azurite };
}

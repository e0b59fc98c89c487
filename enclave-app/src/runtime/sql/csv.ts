// Result rows as RFC 4180 CSV (header line, CRLF-free: "\n" line ends, quotes only where needed).
// NULL is an empty field; nested values are JSON.
import type { JsonValue, SqlResult } from "./runner.ts";

function field(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(result: Pick<SqlResult, "columns" | "rows">): string {
  const lines = [result.columns.map((c) => field(c.name)).join(",")];
  for (const row of result.rows) lines.push(result.columns.map((_, i) => field(row[i])).join(","));
  return `${lines.join("\n")}\n`;
}

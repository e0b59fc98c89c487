/**
 * Builds CSV text in large chunks: one string per few thousand rows, then one Buffer per
 * chunk. Joining per chunk keeps generation of hundreds of thousands of rows well under a
 * second, where a Buffer per row (or a stream write per row) would dominate the demo's time.
 * Values are produced by the generators themselves and never contain commas, quotes or
 * newlines, so no quoting is needed.
 */
export class CsvBuilder {
  readonly #chunks: Buffer[] = [];
  readonly #rowsPerChunk: number;
  #pending: string[] = [];
  #bytes = 0;
  #rows = 0;

  constructor(header: readonly string[], rowsPerChunk = 8192) {
    this.#rowsPerChunk = rowsPerChunk;
    this.#pending.push(header.join(","));
  }

  push(line: string): void {
    this.#pending.push(line);
    this.#rows++;
    if (this.#pending.length >= this.#rowsPerChunk) this.#flush();
  }

  get rows(): number {
    return this.#rows;
  }

  finish(): { chunks: Buffer[]; bytes: number; rows: number } {
    this.#flush();
    return { chunks: this.#chunks, bytes: this.#bytes, rows: this.#rows };
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const chunk = Buffer.from(this.#pending.join("\n") + "\n", "utf8");
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    this.#pending = [];
  }
}

/** Integer cents -> "1234.05"; exact, unlike formatting a float. */
export function formatCents(cents: number): string {
  const whole = Math.trunc(cents / 100);
  const frac = cents % 100;
  return `${whole}.${frac < 10 ? "0" : ""}${frac}`;
}

/** ISO dates for every day of a year, indexed by day offset, so rows never format dates themselves. */
export function daysOfYear(year: number): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(year, 0, 1); new Date(t).getUTCFullYear() === year; t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/**
 * Parses RFC 4180 CSV (quotes where needed, "\n" or "\r\n" line ends) into header + rows; used
 * for the decrypted result, which the enclave writes with quoting when a value needs it.
 */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (field.length > 0 || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [header = [], ...rows] = records;
  return { header, rows };
}

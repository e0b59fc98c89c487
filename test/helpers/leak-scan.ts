/**
 * Scans captured text (stdout, stderr, log events, error messages, blobs) for what must never leave
 * the enclave or a party: plaintext values of the datasets, private key material, and whole signed
 * tokens (an attestation token, a key-release JWS). Findings name the source and the kind and show
 * only a short prefix, so a failing test does not print the secret it caught.
 *
 * Values match as whole tokens (split on anything but [A-Za-z0-9._-]): "602.64" is found in
 * "amount 602.64" but not inside a duration "1602.6412" or a 64-hex digest.
 */
export type LeakKind = "plaintext-value" | "plaintext-row" | "private-key" | "signed-token";

export interface LeakSource {
  name: string;
  text: string | Buffer;
  /** The receipt carries the attestation token on purpose. */
  allowSignedTokens?: boolean;
}

export interface LeakFinding {
  source: string;
  kind: LeakKind;
  /** Redacted: a short prefix and the length. */
  excerpt: string;
}

export interface LeakScanOptions {
  /** Individual cells (customer references, amounts); pick distinctive ones (see `csvCells`). */
  plaintextValues: Iterable<string>;
  /** Whole data rows, matched as substrings. */
  plaintextRows?: Iterable<string>;
}

const PRIVATE_KEY_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/g,
  // A private JWK, as JSON or as util.inspect prints an object.
  /"d"\s*:\s*"[A-Za-z0-9_-]{16,}/g,
  /\bd: '[A-Za-z0-9_-]{16,}/g,
];
const COMPACT_JWS = /\b([A-Za-z0-9_-]{10,})\.([A-Za-z0-9_-]{10,})\.([A-Za-z0-9_-]{10,})\b/g;
const TOKEN_SPLIT = /[^A-Za-z0-9._-]+/;

export function scanForLeaks(sources: readonly LeakSource[], opts: LeakScanOptions): LeakFinding[] {
  const values = new Set(opts.plaintextValues);
  const rows = [...(opts.plaintextRows ?? [])];
  const findings: LeakFinding[] = [];
  for (const source of sources) {
    // latin1 keeps every byte of a binary blob as one character, so nothing is lost to decoding.
    const text = typeof source.text === "string" ? source.text : source.text.toString("latin1");
    const add = (kind: LeakKind, hit: string) => findings.push({ source: source.name, kind, excerpt: redact(hit) });
    for (const token of new Set(text.split(TOKEN_SPLIT))) if (values.has(token)) add("plaintext-value", token);
    for (const row of rows) if (text.includes(row)) add("plaintext-row", row);
    for (const pattern of PRIVATE_KEY_PATTERNS) for (const m of text.matchAll(pattern)) add("private-key", m[0]);
    if (!source.allowSignedTokens) for (const m of text.matchAll(COMPACT_JWS)) if (isJwsHeader(m[1]!)) add("signed-token", m[0]);
  }
  return findings;
}

/** One line per finding, for an assertion message. */
export function formatFindings(findings: readonly LeakFinding[]): string {
  return findings.map((f) => `${f.source}: ${f.kind} ${f.excerpt}`).join("\n");
}

/** Distinct cells of the named CSV columns, at least `minLength` characters long. */
export function csvCells(csv: string, columns: readonly string[], minLength = 6): string[] {
  const [head, ...lines] = csv.trimEnd().split("\n");
  const header = head!.split(",");
  const indexes = columns.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new Error(`csvCells: no column "${c}" in [${header.join(", ")}]`);
    return i;
  });
  const cells = new Set<string>();
  for (const line of lines) {
    const fields = line.split(",");
    for (const i of indexes) if (fields[i] !== undefined && fields[i]!.length >= minLength) cells.add(fields[i]!);
  }
  return [...cells];
}

/** Data lines of a CSV (header left out). */
export function csvRows(csv: string): string[] {
  return csv.trimEnd().split("\n").slice(1);
}

function isJwsHeader(segment: string): boolean {
  try {
    const header = JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as { alg?: unknown };
    return typeof header.alg === "string";
  } catch {
    return false;
  }
}

function redact(hit: string): string {
  return `"${hit.slice(0, 6)}…" (${hit.length} chars)`;
}

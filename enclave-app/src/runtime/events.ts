// Structured progress events of a run. They carry names, sizes, counts and timings only: never rows,
// key material or whole tokens (a token is represented by a short digest).
import { createHash } from "node:crypto";
import type { RuntimeStep } from "./errors.ts";

export type RunEventLevel = "info" | "warn" | "error";

export interface RunEvent {
  time: string;
  runId: string;
  level: RunEventLevel;
  step: RuntimeStep | "run";
  event: string;
  party?: string;
  dataset?: string;
  recipient?: string;
  durationMs?: number;
  bytes?: number;
  rows?: number;
  code?: string;
  detail?: string;
}

export type RunEventSink = (event: RunEvent) => void;

/** A short, non-reversible handle for a token in logs. */
export function tokenFingerprint(token: string): string {
  return `sha256:${createHash("sha256").update(token).digest("hex").slice(0, 16)}`;
}

/** One JSON line per event on a stream (what main.ts uses). */
export function jsonLineSink(write: (line: string) => void): RunEventSink {
  return (event) => write(`${JSON.stringify(event)}\n`);
}

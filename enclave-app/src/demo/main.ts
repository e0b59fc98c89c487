#!/usr/bin/env node
// `npm run demo [-- --scenario rare-disease --rows 20000 --seed 7 --tamper bank --json]`
import { CommanderError } from "commander";
import { buildDemoCommand, DemoUsageError, parseDemoArgs } from "./args.ts";
import { runDemo } from "./demo.ts";
import { renderHeader, renderReport } from "./report.ts";

const cleanups: (() => Promise<void>)[] = [];
let interrupted = false;

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write(`\n${signal}: stopping the local clean room…\n`);
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  process.exit(signal === "SIGINT" ? 130 : 143);
}

async function main(): Promise<number> {
  const command = buildDemoCommand().exitOverride();
  let options;
  try {
    options = parseDemoArgs(process.argv.slice(2), command);
  } catch (err) {
    // Commander already printed the help or the error; a usage error exits 2 like every other one.
    if (err instanceof CommanderError) return err.code === "commander.helpDisplayed" ? 0 : 2;
    if (err instanceof DemoUsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  process.on("SIGINT", (s) => void onSignal(s));
  process.on("SIGTERM", (s) => void onSignal(s));

  // With --json, stdout carries only the JSON summary; everything for people goes to stderr.
  const human = options.json ? process.stderr : process.stdout;
  human.write(renderHeader(options) + "\n");
  const summary = await runDemo(options, { log: human, shutdown: { add: (c) => cleanups.push(c) } });
  human.write(renderReport(summary));
  if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    process.stderr.write(`demo failed${typeof code === "string" ? ` (${code})` : ""}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

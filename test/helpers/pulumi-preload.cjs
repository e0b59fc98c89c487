// Preload for running the real program entry point under Pulumi's own runner with mocks:
//   node --require test/helpers/pulumi-preload.cjs node_modules/@pulumi/pulumi/cmd/run/index.js \
//        --monitor=127.0.0.1:1 --project <p> --stack <s> --pwd . stacks/
// Config comes from PULUMI_CONFIG as under the engine. On exit it writes what the program registered
// (resources, URNs, stack outputs) as JSON to $CLEANROOM_MOCK_OUT for the test to read.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const settings = require("@pulumi/pulumi/runtime/settings");
const { createCleanRoomMocks } = require("./pulumi-mocks.cjs");

function flag(name) {
  const args = process.argv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

const project = flag("project") || "project";
const stack = flag("stack") || "stack";
// CLEANROOM_MOCK_ATTEST_URI makes the mocked attestation provider report a different attestUri.
const recorder = createCleanRoomMocks({ attestUri: process.env.CLEANROOM_MOCK_ATTEST_URI || undefined });
pulumi.runtime.setMocks(recorder.mocks, project, stack, false);

function structToJs(value) {
  if (value && typeof value.toJavaScript === "function") return value.toJavaScript();
  return value;
}

process.on("exit", (code) => {
  const out = process.env.CLEANROOM_MOCK_OUT;
  if (!out) return;
  const monitor = settings.getMonitor();
  const registered = monitor && monitor.resources ? [...monitor.resources.values()] : [];
  const stackEntry = registered.find((r) => r.urn.includes("::pulumi:pulumi:Stack::"));
  const report = {
    exitCode: code,
    resources: recorder.records,
    calls: recorder.calls,
    urns: registered.map((r) => r.urn),
    stackOutputs: stackEntry ? structToJs(stackEntry.state) : undefined,
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report));
});

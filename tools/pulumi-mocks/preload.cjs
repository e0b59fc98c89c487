// Preload that replaces the Pulumi engine with the clean-room mocks when a program runs under Pulumi's
// own runner, exactly as run-program.ts starts it:
//   node --require tools/pulumi-mocks/preload.cjs node_modules/@pulumi/pulumi/cmd/run/index.js \
//        --monitor=127.0.0.1:1 --project <p> --stack <s> --pwd . <program dir>
// Config comes from PULUMI_CONFIG, as under the engine. At exit it writes, as JSON to
// $CLEANROOM_MOCK_OUT (the shape is MockRunReport in report.ts):
// - what the mocks saw: each resource's type, name, inputs and provider, the invokes, the URNs and
//   the stack outputs (what the program tests assert on);
// - the resource graph as the engine would hand it to a policy pack: URN, parent, dependencies,
//   per-property dependencies, provider, options, inputs and outputs (what the policy review evaluates).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
const rpc = require("@pulumi/pulumi/runtime/rpc");
const settings = require("@pulumi/pulumi/runtime/settings");
const { createCleanRoomMocks } = require("./mocks.cjs");

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
// The mocks play ARM: the enclave container group's waiter (components/enclave-run.ts) reads this
// fake instead of calling management.azure.com. CLEANROOM_MOCK_ENCLAVE_EXIT sets the enclave's exit code.
globalThis[Symbol.for("cleanroom.containerGroupReader")] = require("./mocks.cjs").terminatedContainerGroupReader({
  enclave: Number(process.env.CLEANROOM_MOCK_ENCLAVE_EXIT || 0),
});

/** Plain JSON: secrets unwrapped (policies see plain values, as the engine hands them), resource references as URNs. */
function plain(value) {
  if (value === null || typeof value !== "object") return value;
  if (typeof value.toJavaScript === "function") return plain(value.toJavaScript());
  if (Array.isArray(value)) return value.map(plain);
  const sig = value[rpc.specialSigKey];
  if (sig === rpc.specialSecretSig) return plain(value.value);
  if (sig === rpc.specialResourceSig) return value.urn;
  if (sig !== undefined) return undefined;
  // Anything but plain data (a deserialised resource, an asset) is not something a policy reads as props.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const result = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) result[k] = plain(v);
  }
  return result;
}

// The mocks' newResource sees inputs only; the registration request also carries the links a stack
// policy needs, so it is recorded here on the way in.
const registrations = [];
const registerResource = MockMonitor.prototype.registerResource;
MockMonitor.prototype.registerResource = function (req, callback) {
  const propertyDependencies = {};
  req.getPropertydependenciesMap().forEach((deps, key) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  const timeouts = req.getCustomtimeouts();
  const entry = {
    urn: undefined,
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    parent: req.getParent() || undefined,
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    provider: req.getProvider() || undefined,
    options: {
      protect: req.getProtect() === true,
      ignoreChanges: req.getIgnorechangesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
      customTimeouts: {
        create: timeouts ? timeouts.getCreate() : "",
        update: timeouts ? timeouts.getUpdate() : "",
        delete: timeouts ? timeouts.getDelete() : "",
      },
    },
    inputs: plain(rpc.deserializeProperties(req.getObject())),
  };
  registrations.push(entry);
  return registerResource.call(this, req, (err, response) => {
    if (response) entry.urn = response.getUrn();
    callback(err, response);
  });
};

process.on("exit", (code) => {
  const out = process.env.CLEANROOM_MOCK_OUT;
  if (!out) return;
  const monitor = settings.getMonitor();
  const registered = monitor && monitor.resources ? monitor.resources : new Map();
  const stackEntry = [...registered.values()].find((r) => r.urn.includes("::pulumi:pulumi:Stack::"));
  const graph = registrations
    .filter((r) => r.urn !== undefined)
    .map((r) => {
      const state = registered.get(r.urn);
      return { ...r, outputs: plain(state ? state.state : {}) || {} };
    });
  const report = {
    exitCode: code,
    resources: recorder.records,
    calls: recorder.calls,
    urns: [...registered.keys()],
    // Raw engine state, secrets still wrapped: the program tests check that the kubeconfig is one.
    stackOutputs: stackEntry ? structToJs(stackEntry.state) : undefined,
    graph,
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report));
});

function structToJs(value) {
  if (value && typeof value.toJavaScript === "function") return value.toJavaScript();
  return value;
}

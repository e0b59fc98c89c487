// Preload for the offline review, next to the project's mock harness (test/helpers/pulumi-preload.cjs):
// records every resource registration the way the engine sees it — URN, parent, dependencies,
// per-property dependencies, provider, options, inputs — and, at exit, each resource's state
// (outputs) from the mock monitor. The harness's own report has the inputs but not this graph, which
// stack policies need (parents, dependencies, outputs). Written as JSON to $CLEANROOM_REVIEW_GRAPH_OUT.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
const rpc = require("@pulumi/pulumi/runtime/rpc");
const settings = require("@pulumi/pulumi/runtime/settings");

const out = process.env.CLEANROOM_REVIEW_GRAPH_OUT;

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

if (out) {
  const registrations = [];
  const original = MockMonitor.prototype.registerResource;
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
    return original.call(this, req, (err, response) => {
      if (response) entry.urn = response.getUrn();
      callback(err, response);
    });
  };

  process.on("exit", () => {
    const monitor = settings.getMonitor();
    const registered = monitor && monitor.resources ? monitor.resources : new Map();
    const resources = registrations
      .filter((r) => r.urn !== undefined)
      .map((r) => {
        const state = registered.get(r.urn);
        return { ...r, outputs: plain(state ? state.state : {}) || {} };
      });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ resources }));
  });
}

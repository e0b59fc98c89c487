// Entry point the engine runs (package.json "main"): Pulumi's Node.js language host starts
// node_modules/@pulumi/pulumi/cmd/run-plugin on this directory, which require()s this module, finds the
// exported ComponentResource classes and serves them with componentProviderHost (schema inferred from
// index.ts by the analyzer, Construct answered by the classes). The runner always registers ts-node's
// CommonJS hook for .ts files, which rejects the project's ".ts" import specifiers; an ES module entry
// bypasses that hook, so Node 24 loads index.ts and its imports by stripping types, as it loads the
// program and the policy pack.
export * from "./index.ts";

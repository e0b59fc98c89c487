// Entry point Pulumi's policy-pack runner loads (package.json "main"). The runner always registers
// ts-node's CommonJS hook for .ts files, and ts-node rejects the project's ".ts" import specifiers;
// an ES module entry bypasses that hook, so Node 24 loads index.ts and its imports by stripping types,
// exactly as it loads the Pulumi program. (Node 24 lets the runner require() this ES module.)
import "./index.ts";

// What a Confidential ACI group's container security policy (ccePolicy) must guarantee before any
// party's key is released to it. Its sha256 is the hostdata every release policy pins, so whatever
// the policy admits is what the parties' keys are released to: it must be one the pack can read in
// full, leave every decision to Microsoft's framework (no allow-all enforcement point), admit only the
// group's own digest-pinned images (plus confcom's pause container) and Microsoft's infrastructure
// fragment, and give the host no way in: no shell to exec, no stdio, no logs, properties or stack
// dumps, no unencrypted scratch, no privileged container. Pure functions over the decoded policy.
import { CcePolicyEncodingError, decodeCcePolicy } from "../../enclave-app/src/protocol/index.ts";
import {
  CONFCOM_DATA_NAMES,
  ConfcomRegoError,
  ENFORCEMENT_POINTS,
  REASON_RULE,
  containsRef,
  delegatesToFramework,
  isConfcomReason,
  readConfcomRego,
  regoText,
  RegoRef,
  type ConfcomRego,
  type RegoValue,
} from "./confcom-policy.ts";

export type CcePolicyRule =
  | "unreadable"
  | "allow-all"
  | "shell"
  | "stdio"
  | "debug"
  | "properties-access"
  | "unencrypted-scratch"
  | "elevated"
  | "foreign-container"
  | "image-not-pinned"
  | "foreign-fragment";

export interface CcePolicyFinding {
  rule: CcePolicyRule;
  /** The container the finding is about (a container rule of the policy, or one of the group's), if any. */
  container?: string;
  /** One sentence, without the group's name (the resource policy adds it). */
  message: string;
}

/** A container of the group as ARM receives it. */
export interface GroupContainer {
  name: string;
  image: unknown;
}

/**
 * Microsoft's ACI infrastructure fragment, which confcom references by default: it admits the
 * sidecars ACI itself runs in the group. Any other fragment can add containers of its issuer's choosing.
 */
export const ACI_INFRA_FRAGMENT = {
  feed: "mcr.microsoft.com/aci/aci-cc-infra-fragment",
  issuer: "did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::eku:1.3.6.1.4.1.311.76.59.1.3",
} as const;

/** Interactive shells, by basename: exec'ing one from the host is a way into the enclave's memory. */
export const SHELLS: ReadonlySet<string> = new Set(["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox"]);

/** Host access the framework grants through these policy-wide switches. */
const DEBUG_SWITCHES = {
  allow_runtime_logging: "the utility VM's runtime logs go to the host",
  allow_dump_stacks: "the host may dump the guest's stacks",
} as const;
const SCRATCH_SWITCH = "allow_unencrypted_scratch";
/**
 * confcom writes `allow_properties_access := true` in every policy it generates (its Policy model's
 * default; no option turns it off), so refusing it would refuse every generated policy, and editing
 * the output would make it a policy this project wrote. It lets the host query container properties
 * (process list, resource statistics), not memory or environment: reported by an advisory policy.
 */
export const PROPERTIES_SWITCH = "allow_properties_access";

export const DIGEST_PINNED = /@sha256:[0-9a-f]{64}$/;

/** confcom's pause container: the group's sandbox, identified by its command alone (it has no image id of the group's). */
const isPauseCommand = (command: unknown) => Array.isArray(command) && command.length === 1 && command[0] === "/pause";

const shellOf = (command: readonly string[]) => {
  const base = (command[0] ?? "").split("/").pop()!;
  return SHELLS.has(base) ? base : undefined;
};

export interface ContainerRule {
  /** `container "enclave"`, or `containers[2]` when the rule has no name. */
  label: string;
  id?: string;
  command: unknown;
  execCommands: { where: string; command: string[] }[];
  allowStdioAccess?: boolean;
  allowElevated?: boolean;
}

export interface CcePolicyDocument {
  containers: ContainerRule[];
  externalProcesses: { where: string; command: string[] }[];
  fragments: { where: string; feed?: RegoValue; issuer?: RegoValue }[];
  switches: Record<string, boolean | undefined>;
  /** Every top-level rule that is not confcom data, with what it is defined as. */
  rules: { name: string; value: RegoValue }[];
}

export interface CcePolicyRead {
  /** What could be read; parts that could not are left out and reported as findings. */
  document?: CcePolicyDocument;
  findings: CcePolicyFinding[];
}

type Json = RegoValue;
const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RegoRef);
const isStringArray = (v: Json | undefined): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

const unreadable = (message: string, container?: string): CcePolicyFinding => ({ rule: "unreadable", message, ...(container ? { container } : {}) });

/** The policy's Rego, or the one finding that says why it cannot be read at all. */
function decodeRego(ccePolicy: unknown): { rego: ConfcomRego } | { finding: CcePolicyFinding } {
  if (typeof ccePolicy !== "string" || ccePolicy.trim() === "") {
    return { finding: unreadable("there is no ccePolicy, so the group would not run under a policy the parties approved and pinned") };
  }
  let rego: ConfcomRego;
  try {
    rego = readConfcomRego(decodeCcePolicy(ccePolicy));
  } catch (err) {
    if (err instanceof CcePolicyEncodingError) return { finding: unreadable(`the policy cannot be decoded: ${err.message}`) };
    if (err instanceof ConfcomRegoError) {
      return { finding: unreadable(`the policy is not Rego as confcom writes it (${err.message}); a policy that cannot be read completely is refused rather than guessed at`) };
    }
    throw err;
  }
  if (rego.packageName !== "policy") return { finding: unreadable(`the policy is package "${rego.packageName}", not confcom's "package policy"`) };
  return { rego };
}

interface Assignments {
  data: Map<string, Json>;
  /** Data already refused for what it refers to: not reported a second time as absent. */
  refused: Set<string>;
  rules: CcePolicyDocument["rules"];
}

/** confcom's data, its reason, and every other top-level rule (each of which must be a delegation). */
function sortAssignments(rego: ConfcomRego, findings: CcePolicyFinding[]): Assignments {
  const out: Assignments = { data: new Map(), refused: new Set(), rules: [] };
  for (const a of rego.assignments) {
    if (CONFCOM_DATA_NAMES.has(a.name)) {
      if (!containsRef(a.value)) out.data.set(a.name, a.value);
      else {
        findings.push(unreadable(`${a.name} (line ${a.line}) refers to other documents instead of stating its data`));
        out.refused.add(a.name);
      }
    } else if (a.name === REASON_RULE) {
      if (!isConfcomReason(a.value)) findings.push(unreadable(`reason (line ${a.line}) is ${regoText(a.value)}, not confcom's {"errors": data.framework.errors}`));
    } else {
      out.rules.push({ name: a.name, value: a.value });
    }
  }
  for (const point of ENFORCEMENT_POINTS) {
    if (!out.rules.some((r) => r.name === point)) {
      findings.push(unreadable(`the policy does not define ${point} := data.framework.${point}, so what it allows there is not the framework's decision`));
    }
  }
  return out;
}

/** Entries of an optional list (absent: none); anything but a list is unreadable. */
function listOf(value: Json | undefined, what: string, findings: CcePolicyFinding[], container?: string): Json[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  findings.push(unreadable(`${container ? `${container}: ` : ""}${what} is ${regoText(value)}, not a list`, container));
  return [];
}

/** Processes ({command: [...]}) of exec_processes or external_processes; one without a command is unreadable. */
function processesOf(value: Json | undefined, what: string, findings: CcePolicyFinding[], container?: string): { where: string; command: string[] }[] {
  const out: { where: string; command: string[] }[] = [];
  listOf(value, what, findings, container).forEach((p, j) => {
    const where = `${what}[${j}]`;
    if (isObject(p) && isStringArray(p.command) && p.command.length > 0) out.push({ where, command: p.command });
    else findings.push(unreadable(`${container ? `${container}: ` : ""}${where} has no command (a list of strings): ${regoText(p)}`, container));
  });
  return out;
}

function containerRuleOf(entry: Json, i: number, findings: CcePolicyFinding[]): ContainerRule | undefined {
  if (!isObject(entry)) {
    findings.push(unreadable(`containers[${i}] is ${regoText(entry)}, not a container rule`));
    return undefined;
  }
  const label = typeof entry.name === "string" && entry.name !== "" ? `container "${entry.name}"` : `containers[${i}]`;
  const rule: ContainerRule = { label, command: entry.command, execCommands: processesOf(entry.exec_processes, "exec_processes", findings, label) };
  if (typeof entry.id === "string") rule.id = entry.id;
  // The framework's defaults for an absent switch vary with its version: demand the explicit value.
  for (const [key, field] of [
    ["allow_stdio_access", "allowStdioAccess"],
    ["allow_elevated", "allowElevated"],
  ] as const) {
    const value = entry[key];
    if (typeof value === "boolean") rule[field] = value;
    else findings.push(unreadable(`${label}: ${key} is ${value === undefined ? "absent" : regoText(value)}, not true or false`, label));
  }
  return rule;
}

/** Reads the policy from its base64 form into a document; every part it cannot read is an "unreadable" finding. */
export function readCcePolicy(ccePolicy: unknown): CcePolicyRead {
  const decoded = decodeRego(ccePolicy);
  if ("finding" in decoded) return { findings: [decoded.finding] };
  const findings: CcePolicyFinding[] = [];
  const { data, refused, rules } = sortAssignments(decoded.rego, findings);

  const list = data.get("containers");
  if (!Array.isArray(list) && !refused.has("containers")) {
    findings.push(unreadable(list === undefined ? "the policy defines no containers" : `containers is ${regoText(list)}, not a list of container rules`));
  }
  const containers = (Array.isArray(list) ? list : []).flatMap((entry, i) => containerRuleOf(entry, i, findings) ?? []);
  const externalProcesses = processesOf(data.get("external_processes"), "external_processes", findings);
  const fragments = listOf(data.get("fragments"), "fragments", findings).flatMap((f, j) => {
    if (isObject(f)) return [{ where: `fragments[${j}]`, feed: f.feed, issuer: f.issuer }];
    findings.push(unreadable(`fragments[${j}] is ${regoText(f)}, not a fragment reference`));
    return [];
  });
  const switches: Record<string, boolean | undefined> = {};
  for (const key of [...Object.keys(DEBUG_SWITCHES), PROPERTIES_SWITCH, SCRATCH_SWITCH]) {
    const value = data.get(key);
    if (typeof value === "boolean") switches[key] = value;
    else if (!refused.has(key)) findings.push(unreadable(`${key} is ${value === undefined ? "absent" : regoText(value)}, not true or false`));
  }
  return { document: { containers, externalProcesses, fragments, switches, rules }, findings };
}

/** Every top-level rule other than confcom's data must be exactly data.framework.<its name>. */
export function checkEnforcementPoints(doc: CcePolicyDocument): CcePolicyFinding[] {
  return doc.rules
    .filter((r) => !delegatesToFramework(r.name, r.value))
    .map((r) => ({
      rule: "allow-all",
      message: `${(ENFORCEMENT_POINTS as readonly string[]).includes(r.name) ? "enforcement point" : "top-level rule"} ${r.name} is ${regoText(r.value)} instead of data.framework.${r.name}: it decides by itself what the framework would check (an allow-all policy writes {"allowed": true})`,
    }));
}

/** No shell may be exec'd in a container or run in the utility VM. */
export function checkShells(doc: CcePolicyDocument): CcePolicyFinding[] {
  const out: CcePolicyFinding[] = [];
  for (const c of doc.containers) {
    for (const p of c.execCommands) {
      const shell = shellOf(p.command);
      if (shell) {
        out.push({
          rule: "shell",
          container: c.label,
          message: `${c.label} lets the host exec the shell ${JSON.stringify(p.command[0])} (${p.where}): a shell inside the group reads every party's decrypted data (confcom's --debug-mode adds /bin/sh and /bin/bash)`,
        });
      }
    }
  }
  for (const p of doc.externalProcesses) {
    const shell = shellOf(p.command);
    if (shell) out.push({ rule: "shell", message: `the host may run the shell ${JSON.stringify(p.command[0])} in the utility VM (${p.where}), outside every container` });
  }
  return out;
}

/** No stdio, runtime logs, stack dumps, unencrypted scratch or privileged containers; properties access reported on its own. */
export function checkHostAccess(doc: CcePolicyDocument): CcePolicyFinding[] {
  const out: CcePolicyFinding[] = [];
  for (const c of doc.containers) {
    if (c.allowStdioAccess === true) {
      out.push({ rule: "stdio", container: c.label, message: `${c.label} has allow_stdio_access: true: the host reads and writes its standard streams (generate with confcom's --disable-stdio)` });
    }
    if (c.allowElevated === true) out.push({ rule: "elevated", container: c.label, message: `${c.label} has allow_elevated: true: it may run privileged` });
  }
  for (const [key, why] of Object.entries(DEBUG_SWITCHES)) {
    if (doc.switches[key] === true) out.push({ rule: "debug", message: `${key} is true: ${why}` });
  }
  if (doc.switches[PROPERTIES_SWITCH] === true) {
    out.push({ rule: "properties-access", message: `${PROPERTIES_SWITCH} is true: the host may query the containers' properties (process list and command lines, resource statistics)` });
  }
  if (doc.switches[SCRATCH_SWITCH] === true) {
    out.push({ rule: "unencrypted-scratch", message: `${SCRATCH_SWITCH} is true: the containers' writable scratch may be left unencrypted` });
  }
  return out;
}

/**
 * Every container rule admits one of the group's own images (by its exact reference), except confcom's
 * pause container; every fragment is Microsoft's infrastructure fragment.
 */
export function checkAdmittedContainers(doc: CcePolicyDocument, group: readonly GroupContainer[]): CcePolicyFinding[] {
  const images = group.map((c) => c.image).filter((i): i is string => typeof i === "string");
  const out: CcePolicyFinding[] = [];
  for (const c of doc.containers) {
    if (isPauseCommand(c.command)) continue;
    if (c.id !== undefined && images.includes(c.id)) continue;
    out.push({
      rule: "foreign-container",
      container: c.label,
      message: `${c.label} admits ${c.id === undefined ? "an image without an id" : `image ${JSON.stringify(c.id)}`}, which is none of the group's images (${images.map((i) => JSON.stringify(i)).join(", ") || "none"}): the policy would run code the group does not declare`,
    });
  }
  for (const f of doc.fragments) {
    if (f.feed === ACI_INFRA_FRAGMENT.feed && f.issuer === ACI_INFRA_FRAGMENT.issuer) continue;
    out.push({
      rule: "foreign-fragment",
      message: `${f.where} (feed ${regoText(f.feed ?? null)}, issuer ${regoText(f.issuer ?? null)}) is not Microsoft's ACI infrastructure fragment (${ACI_INFRA_FRAGMENT.feed}): a fragment can add containers its issuer chooses`,
    });
  }
  return out;
}

/** The group's own images are pinned by digest, so the policy's ids name exactly one image each. */
export function checkGroupImages(group: readonly GroupContainer[]): CcePolicyFinding[] {
  return group
    .filter((c) => typeof c.image !== "string" || !DIGEST_PINNED.test(c.image))
    .map((c) => ({
      rule: "image-not-pinned",
      container: `container "${c.name}"`,
      message: `the group's container "${c.name}" uses image ${JSON.stringify(c.image ?? null)}, which is not pinned by digest (@sha256:<64 hex>): a tag can be moved to code nobody approved`,
    }));
}

/** Every finding for a Confidential group's ccePolicy and its containers. */
export function checkCcePolicy(ccePolicy: unknown, group: readonly GroupContainer[]): CcePolicyFinding[] {
  const { document, findings } = readCcePolicy(ccePolicy);
  const out = [...findings];
  if (document) out.push(...checkEnforcementPoints(document), ...checkShells(document), ...checkHostAccess(document), ...checkAdmittedContainers(document, group));
  out.push(...checkGroupImages(group));
  return out;
}

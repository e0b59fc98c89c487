// A Confidential ACI group as EnclaveContainerGroup registers it (trimmed to what the rules read), and
// a container security policy in the shape `az confcom acipolicygen --disable-stdio` prints, built
// from parts so a test can break exactly one thing and print it compact (confcom's one-line JSON) or
// pretty-printed.
import { CCE_ENFORCEMENT_POINTS as ENFORCEMENT_POINTS } from "../../enclave-app/src/protocol/index.ts";

export const ENCLAVE_IMAGE = "ghcr.io/confidential-clean-room/enclave@sha256:57c4cc573ef5737af759a181f4bdf5081f1e78ead35c12d21c90726f1ec35d64";
export const SKR_IMAGE = "mcr.microsoft.com/aci/skr@sha256:e8f82897962ec0d2c9a69e0ae71c7603d03a1fc1924d0360ef739ed465dce994";
export const GROUP_NAME = "fraud-4a3803230d85-r1";

export const INFRA_FRAGMENT = {
  feed: "mcr.microsoft.com/aci/aci-cc-infra-fragment",
  includes: ["containers", "fragments"],
  issuer: "did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::eku:1.3.6.1.4.1.311.76.59.1.3",
  minimum_svn: "4",
};

const LAYER = "1".repeat(64);
const USER = { group_idnames: [{ pattern: "", strategy: "any" }], umask: "0022", user_idname: { pattern: "", strategy: "any" } };
const NO_CAPS = { ambient: [], bounding: [], effective: [], inheritable: [], permitted: [] };

/** One container rule as confcom writes it (its keys sorted, as confcom sorts them). */
export function containerRule(name: string, id: string | undefined, command: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    allow_elevated: false,
    allow_stdio_access: false,
    capabilities: NO_CAPS,
    command,
    env_rules: [{ pattern: "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", required: false, strategy: "string" }],
    exec_processes: [],
    ...(id === undefined ? {} : { id }),
    layers: [LAYER],
    mounts: [],
    name,
    no_new_privileges: true,
    seccomp_profile_sha256: "",
    signals: [],
    user: USER,
    working_dir: "/",
    ...extra,
  };
}


export interface PolicyParts {
  fragments: unknown[];
  containers: unknown[];
  externalProcesses?: unknown[];
  /** Top-level switches, printed in this order. */
  switches: Record<string, unknown>;
  /** Enforcement point -> its Rego right-hand side. */
  points: Record<string, string>;
  /** Lines appended verbatim. */
  extra?: string[];
}

/** The parts of a well-formed policy for the group's two containers (and confcom's pause container). */
export function policyParts(): PolicyParts {
  return {
    fragments: [INFRA_FRAGMENT],
    containers: [
      containerRule("enclave", ENCLAVE_IMAGE, ["node", "/app/enclave-app/src/runtime/main.ts"]),
      containerRule("skr", SKR_IMAGE, ["/skr.sh"]),
      containerRule("pause-container", undefined, ["/pause"]),
    ],
    switches: {
      allow_properties_access: false,
      allow_dump_stacks: false,
      allow_runtime_logging: false,
      allow_environment_variable_dropping: true,
      allow_unencrypted_scratch: false,
      allow_capability_dropping: true,
    },
    points: Object.fromEntries(ENFORCEMENT_POINTS.map((p) => [p, `data.framework.${p}`])),
  };
}

export type Layout = "compact" | "pretty";

/** The policy's Rego text: data as JSON (one line, or indented over many), then the delegations. */
export function regoOf(parts: PolicyParts, layout: Layout = "compact"): string {
  const json = (v: unknown) => (layout === "compact" ? JSON.stringify(v) : JSON.stringify(v, null, 2));
  const lines = [
    "package policy",
    "",
    "import future.keywords.every",
    "import future.keywords.in",
    "",
    'api_version := "0.10.0"',
    'framework_version := "0.2.3"',
    "",
    `fragments := ${json(parts.fragments)}`,
    "",
    `containers := ${json(parts.containers)}`,
    "",
    ...(parts.externalProcesses ? [`external_processes := ${json(parts.externalProcesses)}`, ""] : []),
    ...Object.entries(parts.switches).map(([k, v]) => `${k} := ${JSON.stringify(v)}`),
    "",
    ...Object.entries(parts.points).map(([k, v]) => `${k} := ${v}`),
    "",
    'reason := {"errors": data.framework.errors}',
    ...(parts.extra ?? []),
    "",
  ];
  return lines.join("\n");
}

export const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** The group's props: sku Confidential, the two containers, the contract in its secret volume. */
export function containerGroupProps(ccePolicy: unknown, contract?: unknown): Record<string, unknown> {
  return {
    resourceGroupName: "demo-rg",
    containerGroupName: GROUP_NAME,
    sku: "Confidential",
    confidentialComputeProperties: { ccePolicy },
    osType: "Linux",
    restartPolicy: "Never",
    containers: [
      { name: "enclave", image: ENCLAVE_IMAGE, resources: { requests: { cpu: 3, memoryInGB: 12 } } },
      { name: "skr", image: SKR_IMAGE, resources: { requests: { cpu: 0.5, memoryInGB: 1 } } },
    ],
    volumes: [
      ...(contract === undefined ? [] : [{ name: "contract", secret: { "contract.json": base64(JSON.stringify(contract)) } }]),
      { name: "scratch", emptyDir: {} },
    ],
  };
}

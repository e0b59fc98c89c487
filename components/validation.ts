// Input validation shared by every component: pure checks that return issues, and one typed error
// that lists all of them at once (a platform team fixes a config in one pass, not one error per run).
import * as pulumi from "@pulumi/pulumi";
import { IssueList, type ValidationIssue } from "../enclave-app/src/protocol/index.ts";

export { IssueList, type ValidationIssue };

export type ComponentErrorCode =
  /** A component's arguments break one or more rules; `issues` lists every one. */
  | "COMPONENT_ARGS_INVALID"
  /** Approvals for the contract are missing or do not verify. */
  | "APPROVALS_REJECTED"
  /** A value reported by Azure differs from the value the program derived and pinned in a policy. */
  | "DEPLOYMENT_MISMATCH";

/**
 * A pulumi.ResourceError: raised inside a component's constructor it names that component, so the
 * engine reports the failing resource (its URN) rather than a bare stack trace.
 */
export class ComponentArgsError extends pulumi.ResourceError {
  readonly code: ComponentErrorCode = "COMPONENT_ARGS_INVALID";
  readonly component: string;
  readonly issues: ValidationIssue[];

  constructor(component: string, issues: ValidationIssue[], resource?: pulumi.Resource) {
    super(
      `${component}: ${issues.length} invalid argument${issues.length === 1 ? "" : "s"}:\n` +
        issues.map((i) => `  - ${i.path || "(args)"}: ${i.message} [${i.rule}]`).join("\n"),
      resource,
      true,
    );
    this.name = "ComponentArgsError";
    this.component = component;
    this.issues = issues;
  }

  /** The same error, naming the component it was raised for. */
  forResource(resource: pulumi.Resource): ComponentArgsError {
    return new ComponentArgsError(this.component, this.issues, resource);
  }
}

export class DeploymentMismatchError extends Error {
  readonly code: ComponentErrorCode = "DEPLOYMENT_MISMATCH";

  constructor(message: string) {
    super(message);
    this.name = "DeploymentMismatchError";
  }
}

/** Throws a ComponentArgsError (naming `resource` when given) when `issues` is not empty. */
export function throwIfIssues(component: string, issues: ValidationIssue[], resource?: pulumi.Resource): void {
  if (issues.length > 0) throw new ComponentArgsError(component, issues, resource);
}

export function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Entra object ids, tenant ids and subscription ids are GUIDs. */
export function isGuid(value: unknown): value is string {
  return typeof value === "string" && GUID.test(value);
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/;

/**
 * A public IPv4 address or CIDR range as Key Vault and Storage firewall rules accept them.
 * Both services reject IPv6 rules and private ranges (RFC 1918); Storage also rejects /31 and /32
 * written as ranges, so a single address must be given without a prefix.
 */
export function checkFirewallIpRange(value: unknown): string | undefined {
  if (typeof value !== "string") return "must be a string (IPv4 address or CIDR range)";
  const m = IPV4_CIDR.exec(value);
  if (!m) return `"${value}" is not an IPv4 address or CIDR range (IPv6 rules are not supported by Key Vault or Storage firewalls)`;
  const octets = [m[1], m[2], m[3], m[4]].map(Number);
  if (octets.some((o) => o > 255)) return `"${value}" has an octet above 255`;
  if (m[6] !== undefined) {
    const prefix = Number(m[6]);
    if (prefix < 8 || prefix > 30) return `"${value}": prefix must be /8../30 (give a single address without a prefix)`;
  }
  const [a, b] = octets as [number, number, number, number];
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a === 127) {
    return `"${value}" is a private or loopback address; firewall IP rules apply to public addresses only`;
  }
  return undefined;
}

/** IPv4 CIDR parsing for address-space checks. */
export function parseCidr(value: string): { base: number; prefix: number } | undefined {
  const m = IPV4_CIDR.exec(value);
  if (!m || m[6] === undefined) return undefined;
  const octets = [m[1], m[2], m[3], m[4]].map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const prefix = Number(m[6]);
  if (prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base, prefix };
}

export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i || i.prefix < o.prefix) return false;
  const size = 2 ** (32 - o.prefix);
  return Math.floor(i.base / size) === Math.floor(o.base / size);
}

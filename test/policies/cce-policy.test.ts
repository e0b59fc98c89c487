// aci-cce-policy-locked-down on a Confidential ACI group: a well-formed confcom policy passes (compact
// and pretty-printed, and the example stack's placeholder); a policy that breaks exactly one rule is
// refused with one message naming the group, the container and the rule.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { aciCcePolicyLockedDown, aciCcePolicyPropertiesAccess } from "../../policies/rules/container-group.ts";
import { checkCcePolicy, readCcePolicy, type CcePolicyRule } from "../../policies/rules/cce-policy-check.ts";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import {
  base64,
  containerGroupProps,
  containerRule,
  ENCLAVE_IMAGE,
  GROUP_NAME,
  INFRA_FRAGMENT,
  policyParts,
  regoOf,
  SKR_IMAGE,
  type Layout,
  type PolicyParts,
} from "./cce-fixtures.ts";
import { resource, runPolicy, UNKNOWN } from "./fixtures.ts";

const GROUP_TYPE = "azure-native:containerinstance:ContainerGroup";
const GROUP_CONTAINERS = [
  { name: "enclave", image: ENCLAVE_IMAGE },
  { name: "skr", image: SKR_IMAGE },
];
const LAYOUTS = ["compact", "pretty"] as const;

/** The well-formed parts with one change. */
function broken(change: (parts: PolicyParts) => void): PolicyParts {
  const parts = policyParts();
  change(parts);
  return parts;
}
const enclave = (parts: PolicyParts) => parts.containers[0] as Record<string, unknown>;

async function violations(ccePolicy: unknown, props: Record<string, unknown> = containerGroupProps(ccePolicy)) {
  return (await runPolicy(aciCcePolicyLockedDown, [resource(GROUP_TYPE, "cleanroom-enclave-group", props)])).violations;
}
const violationsOf = (parts: PolicyParts, layout: Layout) => violations(base64(regoOf(parts, layout)));

/** The one message a refusal must produce: the group, the rule, then the container (when there is one). */
const refused = (rule: CcePolicyRule, rest: string) => new RegExp(`^container group "${GROUP_NAME}" ccePolicy refused \\(${rule}\\): ${rest}`);

describe("aci-cce-policy-locked-down: accepted", () => {
  it.each(LAYOUTS)("a well-formed %s policy for the group's own pinned images, confcom's pause container and the infrastructure fragment", async (layout) => {
    expect(checkCcePolicy(base64(regoOf(policyParts(), layout)), GROUP_CONTAINERS)).toEqual([]);
    expect(await violationsOf(policyParts(), layout)).toEqual([]);
  });

  it("the example stack's placeholder policy, for the example's enclave and sidecar images", () => {
    const config = stackFileToPulumiConfig(join(REPO_ROOT, "stacks/Pulumi.fraud-bank-insurer-aci.yaml"));
    const { ccePolicy } = JSON.parse(config["confidential-clean-room:enclave"]!) as { ccePolicy: string };
    expect(checkCcePolicy(ccePolicy, GROUP_CONTAINERS)).toEqual([]);
  });

  it("a process the host may exec that is no shell, and a policy without fragments", async () => {
    const parts = broken((p) => {
      enclave(p).exec_processes = [{ command: ["/usr/local/bin/healthcheck", "--once"], signals: [] }];
      p.fragments = [];
    });
    expect(await violationsOf(parts, "pretty")).toEqual([]);
  });

  it("leaves groups that are not Confidential alone", async () => {
    expect(await violations("not even base64", { ...containerGroupProps("x"), sku: "Standard" })).toEqual([]);
  });

  it("is not evaluated while the policy is unknown (preview)", async () => {
    const outcome = await runPolicy(aciCcePolicyLockedDown, [resource(GROUP_TYPE, "g", containerGroupProps(UNKNOWN))]);
    expect(outcome.violations).toEqual([]);
    expect(outcome.notEvaluated).toEqual([expect.stringMatching(/can't run policy 'aci-cce-policy-locked-down' during preview/)]);
  });
});

describe("aci-cce-policy-locked-down: unreadable policies are refused, not guessed at", () => {
  it("a policy that is not canonical base64", async () => {
    expect(await violations(`${base64(regoOf(policyParts()))}\n==`)).toEqual([expect.stringMatching(refused("unreadable", "the policy cannot be decoded: ccePolicy must be standard base64"))]);
  });

  it("a group without a policy", async () => {
    expect(await violations(undefined)).toEqual([expect.stringMatching(refused("unreadable", "there is no ccePolicy"))]);
  });

  it("a policy without `package policy`", async () => {
    const text = regoOf(policyParts()).replace("package policy", "package mypolicy");
    expect(await violations(base64(text))).toEqual([expect.stringMatching(refused("unreadable", 'the policy is package "mypolicy", not confcom\'s "package policy"'))]);
  });

  it.each(LAYOUTS)("%s: containers that cannot be parsed", async (layout) => {
    const text = regoOf(policyParts(), layout).replace(/"name": ?"skr"/, '"name" "skr"');
    expect(await violations(base64(text))).toEqual([expect.stringMatching(refused("unreadable", 'the policy is not Rego as confcom writes it \\(line \\d+: expected ":" but found'))]);
  });

  it("a rule with a body instead of a delegation", async () => {
    const parts = broken((p) => {
      delete p.points.mount_device;
      p.extra = ['mount_device := {"allowed": true} {', "  input.target", "}"];
    });
    expect(await violationsOf(parts, "compact")).toEqual([expect.stringMatching(refused("unreadable", "the policy is not Rego as confcom writes it \\(line \\d+: unexpected"))]);
  });

  it.each(["create_container", "exec_in_container", "load_fragment"])("a policy that does not delegate %s at all", async (point) => {
    const parts = broken((p) => delete p.points[point]);
    expect(await violationsOf(parts, "compact")).toEqual([expect.stringMatching(refused("unreadable", `the policy does not define ${point} := data\\.framework\\.${point}`))]);
  });

  it("a container that does not say whether it has stdio", async () => {
    const parts = broken((p) => delete enclave(p).allow_stdio_access);
    expect(await violationsOf(parts, "pretty")).toEqual([expect.stringMatching(refused("unreadable", 'container "enclave": allow_stdio_access is absent, not true or false'))]);
  });

  it("data that refers to other documents", async () => {
    const text = regoOf(policyParts()).replace(/^containers := .*$/m, "containers := data.other.containers");
    expect(await violations(base64(text))).toEqual([expect.stringMatching(refused("unreadable", "containers \\(line \\d+\\) refers to other documents"))]);
  });
});

describe("aci-cce-policy-locked-down: allow-all enforcement points", () => {
  it.each(LAYOUTS)('%s: mount_device := {"allowed": true}', async (layout) => {
    const parts = broken((p) => (p.points.mount_device = '{"allowed": true}'));
    expect(await violationsOf(parts, layout)).toEqual([
      expect.stringMatching(refused("allow-all", 'enforcement point mount_device is \\{"allowed":true\\} instead of data\\.framework\\.mount_device')),
    ]);
  });

  it("an allow-all policy: one refusal per enforcement point", () => {
    const parts = broken((p) => {
      for (const point of Object.keys(p.points)) p.points[point] = '{"allowed": true}';
    });
    const findings = checkCcePolicy(base64(regoOf(parts, "pretty")), GROUP_CONTAINERS);
    expect(findings.map((f) => f.rule)).toEqual(Object.keys(parts.points).map(() => "allow-all"));
    expect(findings.map((f) => f.message.split(" ")[2])).toEqual(Object.keys(parts.points));
  });

  it("exec_external := true", async () => {
    const parts = broken((p) => (p.points.exec_external = "true"));
    expect(await violationsOf(parts, "compact")).toEqual([expect.stringMatching(refused("allow-all", "enforcement point exec_external is true instead of data\\.framework\\.exec_external"))]);
  });

  it("a delegation to another point's framework rule", async () => {
    const parts = broken((p) => (p.points.unmount_device = "data.framework.mount_device"));
    expect(await violationsOf(parts, "compact")).toEqual([expect.stringMatching(refused("allow-all", "enforcement point unmount_device is data\\.framework\\.mount_device instead of data\\.framework\\.unmount_device"))]);
  });

  it("any other top-level rule that is not confcom data", async () => {
    const parts = broken((p) => (p.extra = ['rw_mount_device := {"allowed": true}']));
    expect(await violationsOf(parts, "compact")).toEqual([expect.stringMatching(refused("allow-all", "top-level rule rw_mount_device is"))]);
    const delegated = broken((p) => (p.extra = ["rw_mount_device := data.framework.rw_mount_device"]));
    expect(await violationsOf(delegated, "compact")).toEqual([]);
  });
});

describe("aci-cce-policy-locked-down: shells", () => {
  it.each([
    ["/bin/sh", "pretty"],
    ["bash", "compact"],
    ["/usr/bin/dash", "compact"],
    ["/bin/busybox", "pretty"],
  ] as const)("%s in a container's exec_processes (%s)", async (shell, layout) => {
    const parts = broken((p) => (enclave(p).exec_processes = [{ command: [shell], signals: [] }]));
    expect(await violationsOf(parts, layout)).toEqual([
      expect.stringMatching(refused("shell", `container "enclave" lets the host exec the shell "${shell}" \\(exec_processes\\[0\\]\\)`)),
    ]);
  });

  it("a shell in external_processes", async () => {
    const parts = broken((p) => (p.externalProcesses = [{ command: ["/bin/bash"], env_rules: [], working_dir: "/", allow_stdio_access: false }]));
    expect(await violationsOf(parts, "pretty")).toEqual([expect.stringMatching(refused("shell", 'the host may run the shell "/bin/bash" in the utility VM \\(external_processes\\[0\\]\\)'))]);
  });
});

describe("aci-cce-policy-locked-down: host access", () => {
  it("allow_stdio_access: true in a container", async () => {
    const parts = broken((p) => ((p.containers[1] as Record<string, unknown>).allow_stdio_access = true));
    expect(await violationsOf(parts, "compact")).toEqual([expect.stringMatching(refused("stdio", 'container "skr" has allow_stdio_access: true'))]);
  });

  it.each(["allow_runtime_logging", "allow_dump_stacks"])("%s := true", async (flag) => {
    const parts = broken((p) => (p.switches[flag] = true));
    expect(await violationsOf(parts, "compact")).toEqual([expect.stringMatching(refused("debug", `${flag} is true`))]);
  });

  it("allow_properties_access := true (confcom's default) is reported by the advisory policy, not refused", async () => {
    const parts = broken((p) => (p.switches.allow_properties_access = true));
    expect(await violationsOf(parts, "compact")).toEqual([]);
    const advisory = await runPolicy(aciCcePolicyPropertiesAccess, [resource(GROUP_TYPE, "cleanroom-enclave-group", containerGroupProps(base64(regoOf(parts, "compact"))))]);
    expect(advisory.violations).toEqual([expect.stringMatching(new RegExp(`^container group "${GROUP_NAME}" ccePolicy \\(properties-access\\): allow_properties_access is true`))]);
    expect((await runPolicy(aciCcePolicyPropertiesAccess, [resource(GROUP_TYPE, "cleanroom-enclave-group", containerGroupProps(base64(regoOf(policyParts(), "compact"))))])).violations).toEqual([]);
    expect(aciCcePolicyPropertiesAccess.enforcementLevel).toBe("advisory");
  });

  it("allow_unencrypted_scratch := true", async () => {
    const parts = broken((p) => (p.switches.allow_unencrypted_scratch = true));
    expect(await violationsOf(parts, "compact")).toEqual([expect.stringMatching(refused("unencrypted-scratch", "allow_unencrypted_scratch is true"))]);
  });

  it("allow_elevated: true in a container", async () => {
    const parts = broken((p) => (enclave(p).allow_elevated = true));
    expect(await violationsOf(parts, "pretty")).toEqual([expect.stringMatching(refused("elevated", 'container "enclave" has allow_elevated: true'))]);
  });

  it("what confcom's --debug-mode adds: /bin/sh and /bin/bash in every container, and the three debug switches", () => {
    const parts = broken((p) => {
      for (const c of p.containers as Record<string, unknown>[]) c.exec_processes = [{ command: ["/bin/sh"], signals: [] }, { command: ["/bin/bash"], signals: [] }];
      Object.assign(p.switches, { allow_properties_access: true, allow_dump_stacks: true, allow_runtime_logging: true });
    });
    const rules = checkCcePolicy(base64(regoOf(parts)), GROUP_CONTAINERS).map((f) => `${f.rule} ${f.container ?? "-"}`);
    expect(rules.sort()).toEqual(
      [
        ...["enclave", "skr", "pause-container"].flatMap((c) => [`shell container "${c}"`, `shell container "${c}"`]),
        "debug -",
        "debug -",
        "properties-access -",
      ].sort(),
    );
  });
});

describe("aci-cce-policy-locked-down: what the policy admits", () => {
  it.each(LAYOUTS)("%s: a container rule for an image the group does not run", async (layout) => {
    const other = "ghcr.io/mallory/exfiltrate@sha256:" + "a".repeat(64);
    const parts = broken((p) => p.containers.push(containerRule("helper", other, ["/helper"])));
    expect(await violationsOf(parts, layout)).toEqual([
      expect.stringMatching(refused("foreign-container", `container "helper" admits image "${other.replace(/[.]/g, "\\.")}", which is none of the group's images`)),
    ]);
  });

  it("a container rule without an id that is not confcom's pause container", async () => {
    const parts = broken((p) => p.containers.push(containerRule("anything", undefined, ["/entrypoint"])));
    expect(await violationsOf(parts, "compact")).toEqual([expect.stringMatching(refused("foreign-container", 'container "anything" admits an image without an id'))]);
  });

  it("a group image that is not pinned by digest (even when the policy names it)", async () => {
    const parts = broken((p) => (enclave(p).id = "ghcr.io/confidential-clean-room/enclave:latest"));
    const props = containerGroupProps(base64(regoOf(parts)));
    (props.containers as Record<string, unknown>[])[0]!.image = "ghcr.io/confidential-clean-room/enclave:latest";
    expect(await violations(undefined, props)).toEqual([
      expect.stringMatching(refused("image-not-pinned", `the group's container "enclave" uses image "ghcr\\.io/confidential-clean-room/enclave:latest", which is not pinned by digest`)),
    ]);
  });

  it.each([
    ["another feed", { ...INFRA_FRAGMENT, feed: "contoso.azurecr.io/sidecars" }],
    ["another issuer", { ...INFRA_FRAGMENT, issuer: "did:web:contoso.github.io" }],
  ])("a fragment from %s", async (_what, fragment) => {
    const parts = broken((p) => p.fragments.push(fragment));
    expect(await violationsOf(parts, "pretty")).toEqual([expect.stringMatching(refused("foreign-fragment", "fragments\\[1\\] \\(feed .*\\) is not Microsoft's ACI infrastructure fragment"))]);
  });
});

describe("readCcePolicy", () => {
  it("returns what it read alongside what it could not", () => {
    const parts = broken((p) => {
      (p.containers[1] as Record<string, unknown>).exec_processes = "all";
      enclave(p).exec_processes = [{ command: ["/bin/sh"] }];
    });
    const { document, findings } = readCcePolicy(base64(regoOf(parts)));
    expect(findings).toEqual([{ rule: "unreadable", container: 'container "skr"', message: 'container "skr": exec_processes is "all", not a list' }]);
    expect(document?.containers.map((c) => c.label)).toEqual(['container "enclave"', 'container "skr"', 'container "pause-container"']);
    expect(document?.containers[0]!.execCommands).toEqual([{ where: "exec_processes[0]", command: ["/bin/sh"] }]);
  });
});

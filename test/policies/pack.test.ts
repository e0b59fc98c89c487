// The pack loaded exactly as `pulumi preview --policy-pack policies` loads it: Pulumi's policy-pack
// runner (node_modules/@pulumi/pulumi/cmd/run-policy-pack) started in policies/ under Node 24, which
// constructs the PolicyPack and serves it over gRPC. This test plays the engine's part of the
// conversation: policy metadata, config, a resource analysis and a stack analysis.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";
import { policies } from "../../policies/rules/index.ts";
import { clusterProps, grantProps, keyScope, KUBELET, ROLE, UNKNOWN, vaultProps, withValue } from "./fixtures.ts";

type AnalyzerPb = typeof import("@pulumi/pulumi/proto/analyzer_pb.js");
type AnalyzerGrpc = typeof import("@pulumi/pulumi/proto/analyzer_grpc_pb.js");

// Load the protocol modules and grpc/google-protobuf from where @pulumi/pulumi resolves them, so the
// message classes are the ones its generated service definitions check against.
const require = createRequire(import.meta.url);
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const pb = pulumiRequire("./proto/analyzer_pb.js") as AnalyzerPb;
const services = pulumiRequire("./proto/analyzer_grpc_pb.js") as AnalyzerGrpc;
const grpc = pulumiRequire("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const { Struct } = pulumiRequire("google-protobuf/google/protobuf/struct_pb.js") as typeof import("google-protobuf/google/protobuf/struct_pb.js");
const { Empty } = pulumiRequire("google-protobuf/google/protobuf/empty_pb.js") as typeof import("google-protobuf/google/protobuf/empty_pb.js");

let pack: ChildProcessWithoutNullStreams;
let client: InstanceType<AnalyzerGrpc["AnalyzerClient"]>;
let packLog = "";

function call<Req, Res>(method: (req: Req, cb: (err: Error | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
}

const options = () => new pb.AnalyzerResourceOptions().setCustomtimeouts(new pb.AnalyzerResourceOptions.CustomTimeouts());

function analyzeRequest(type: string, name: string, props: Record<string, unknown>) {
  return new pb.AnalyzeRequest()
    .setType(type)
    .setName(name)
    .setUrn(`urn:pulumi:test::confidential-clean-room::${type}::${name}`)
    .setProperties(Struct.fromJavaScript(props as Record<string, never>))
    .setOptions(options());
}

function stackResource(type: string, name: string, props: Record<string, unknown>) {
  return new pb.AnalyzerResource()
    .setType(type)
    .setName(name)
    .setUrn(`urn:pulumi:test::confidential-clean-room::${type}::${name}`)
    .setProperties(Struct.fromJavaScript(props as Record<string, never>))
    .setOptions(options());
}

const diagnosticsOf = (res: InstanceType<AnalyzerPb["AnalyzeResponse"]>) =>
  res.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage(), urn: d.getUrn() }));

beforeAll(async () => {
  pack = spawn(process.execPath, [join(REPO_ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack/index.js"), "127.0.0.1:1", "."], {
    cwd: join(REPO_ROOT, "policies"),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? REPO_ROOT },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the policy pack did not start: ${packLog}`)), 45_000);
    pack.stdout.on("data", (d: Buffer) => {
      packLog += d.toString();
      const m = /^(\d+)\s*$/m.exec(packLog);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    pack.stderr.on("data", (d: Buffer) => (packLog += d.toString()));
    pack.on("exit", (code) => reject(new Error(`the policy pack exited with ${String(code)}: ${packLog}`)));
  });
  client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  pack?.kill("SIGKILL");
});

describe("the policy pack under Pulumi's policy-pack runner", () => {
  it("describes itself: name, version from policies/package.json, every policy with its level and severity", async () => {
    const info = await call<InstanceType<typeof Empty>, InstanceType<AnalyzerPb["AnalyzerInfo"]>>(client.getAnalyzerInfo, new Empty());
    expect(info.getName()).toBe("confidential-clean-room");
    expect(info.getVersion()).toBe("0.1.0");
    expect(info.getSupportsconfig()).toBe(true);
    const served = info.getPoliciesList();
    expect(served.map((p) => p.getName())).toEqual(policies.map((p) => p.name));
    const vault = served.find((p) => p.getName() === "keyvault-premium-sku")!;
    expect(vault.getEnforcementlevel()).toBe(pb.EnforcementLevel.MANDATORY);
    expect(vault.getSeverity()).toBe(pb.PolicySeverity.POLICY_SEVERITY_HIGH);
    expect(vault.getRemediationSteps()).toMatch(/premium/);
    const network = served.find((p) => p.getName() === "keyvault-network-default-deny")!;
    expect(network.getEnforcementlevel()).toBe(pb.EnforcementLevel.ADVISORY);
    const softDelete = served.find((p) => p.getName() === "keyvault-soft-delete")!;
    expect(softDelete.getConfigschema()?.getProperties()?.toJavaScript()).toMatchObject({ minimumRetentionDays: { type: "integer", default: 7 } });
  });

  it("analyzes a resource: violations of an insecure vault, nothing for a secure one", async () => {
    const insecure = withValue(withValue(vaultProps(), "properties.sku.name", "standard"), "properties.enablePurgeProtection", false);
    const found = diagnosticsOf(await call(client.analyze, analyzeRequest("azure-native:keyvault:Vault", "v", insecure)));
    expect(found.map((d) => d.policy).sort()).toEqual(["keyvault-premium-sku", "keyvault-purge-protection"]);
    expect(found.every((d) => d.level === pb.EnforcementLevel.MANDATORY)).toBe(true);
    expect(found.find((d) => d.policy === "keyvault-premium-sku")!.message).toMatch(/uses SKU "standard"/);
    expect(diagnosticsOf(await call(client.analyze, analyzeRequest("azure-native:keyvault:Vault", "v", vaultProps())))).toEqual([]);
  });

  it("reports an unknown value during preview as advisory, not as a violation", async () => {
    const unknownSku = withValue(vaultProps(), "properties.sku.name", UNKNOWN);
    const found = diagnosticsOf(await call(client.analyze, analyzeRequest("azure-native:keyvault:Vault", "v", unknownSku)));
    expect(found).toEqual([expect.objectContaining({ policy: "keyvault-premium-sku", level: pb.EnforcementLevel.ADVISORY, message: expect.stringMatching(/during preview/) })]);
  });

  it("analyzes the stack: a release grant to someone other than the kubelet identity", async () => {
    const resources = [
      stackResource("azure-native:containerservice:ManagedCluster", "aks", clusterProps()),
      stackResource("azure-native:authorization:RoleAssignment", "ok", grantProps(KUBELET, ROLE.release, keyScope("bank-1", "bank-kek"))),
      stackResource("azure-native:authorization:RoleAssignment", "leak", grantProps("11111111-0000-4000-8000-000000000009", ROLE.release, keyScope("bank-1", "bank-kek"))),
    ];
    const found = diagnosticsOf(await call(client.analyzeStack, new pb.AnalyzeStackRequest().setResourcesList(resources)));
    expect(found).toEqual([
      expect.objectContaining({
        policy: "stack-release-role-enclave-only",
        level: pb.EnforcementLevel.MANDATORY,
        urn: "urn:pulumi:test::confidential-clean-room::azure-native:authorization:RoleAssignment::leak",
      }),
    ]);
  });

  it("applies policy config from the engine: a disabled policy reports nothing, a config property is read", async () => {
    const configure = new pb.ConfigureAnalyzerRequest();
    // The engine always sends a properties struct, empty when the policy has none.
    configure
      .getPolicyconfigMap()
      .set("keyvault-premium-sku", new pb.PolicyConfig().setEnforcementlevel(pb.EnforcementLevel.DISABLED).setProperties(Struct.fromJavaScript({})));
    configure
      .getPolicyconfigMap()
      .set("keyvault-soft-delete", new pb.PolicyConfig().setEnforcementlevel(pb.EnforcementLevel.MANDATORY).setProperties(Struct.fromJavaScript({ minimumRetentionDays: 90 })));
    await call(client.configure, configure);
    const props = withValue(withValue(vaultProps(), "properties.sku.name", "standard"), "properties.softDeleteRetentionInDays", 30);
    const found = diagnosticsOf(await call(client.analyze, analyzeRequest("azure-native:keyvault:Vault", "v", props)));
    expect(found).toEqual([expect.objectContaining({ policy: "keyvault-soft-delete", message: expect.stringMatching(/30 days; the minimum is 90/) })]);
  });
});

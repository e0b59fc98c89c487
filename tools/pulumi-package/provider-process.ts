// Starts the component package the way the engine does and talks to it over the provider protocol.
// The engine runs PulumiPlugin.yaml's `runtime: nodejs` plugin through the Node.js language host, which
// executes node_modules/@pulumi/pulumi/cmd/run-plugin on the plugin directory with the engine address;
// the plugin prints its gRPC port on stdout and serves pulumirpc.ResourceProvider. Here the same
// runner is spawned, the port read and a client built from the stubs @pulumi/pulumi ships.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO_ROOT } from "../pulumi-mocks/run-program.ts";

type ProviderPb = typeof import("@pulumi/pulumi/proto/provider_pb.js");
type ProviderGrpc = typeof import("@pulumi/pulumi/proto/provider_grpc_pb.js");

// The message classes must be the ones @pulumi/pulumi's generated service definitions check against.
const require = createRequire(import.meta.url);
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
export const providerPb = pulumiRequire("./proto/provider_pb.js") as ProviderPb;
const services = pulumiRequire("./proto/provider_grpc_pb.js") as ProviderGrpc;
const grpc = pulumiRequire("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const statusPb = pulumiRequire("./proto/status_pb.js") as typeof import("@pulumi/pulumi/proto/status_pb.js");
const errorsPb = pulumiRequire("./proto/errors_pb.js") as typeof import("@pulumi/pulumi/proto/errors_pb.js");
const { Struct } = pulumiRequire("google-protobuf/google/protobuf/struct_pb.js") as typeof import("google-protobuf/google/protobuf/struct_pb.js");

export const PACKAGE_DIR = join(REPO_ROOT, "pulumi-package");
const RUN_PLUGIN = join(REPO_ROOT, "node_modules/@pulumi/pulumi/cmd/run-plugin/index.js");

export interface ProviderProcess {
  client: InstanceType<ProviderGrpc["ResourceProviderClient"]>;
  /** Everything the plugin wrote, for failure messages. */
  log(): string;
  /** GetSchema (version 0), parsed. */
  getSchema(): Promise<PackageSchema>;
  /** Construct, as the engine sends it for a component resource of this package; resolves to its URN and output state. */
  construct(request: ConstructCall): Promise<{ urn: string; state: Record<string, unknown> }>;
  stop(): void;
}

export interface ConstructCall {
  project: string;
  stack: string;
  /** Address of the resource monitor the provider registers the children with. */
  monitorEndpoint: string;
  type: string;
  name: string;
  /** Parent URN (the stack's, as for a top-level resource). */
  parent?: string;
  inputs: Record<string, unknown>;
  /** Per input, the URNs it depends on: the provider then receives that input as an Output, as from another resource. */
  inputDependencies?: Record<string, string[]>;
  dryRun?: boolean;
}

/** The parts of a Pulumi package schema the tests read. */
export interface PackageSchema {
  name: string;
  version: string;
  description?: string;
  resources: Record<string, ResourceSpec>;
  types: Record<string, TypeSpec>;
}

export interface PropertySpec {
  type?: string;
  $ref?: string;
  items?: PropertySpec;
  additionalProperties?: PropertySpec;
  description?: string;
  plain?: boolean;
}

export interface ResourceSpec {
  isComponent?: boolean;
  description?: string;
  inputProperties: Record<string, PropertySpec>;
  requiredInputs: string[];
  properties: Record<string, PropertySpec>;
  required: string[];
}

export interface TypeSpec {
  type: string;
  description?: string;
  properties?: Record<string, PropertySpec>;
  required?: string[];
  enum?: { name: string; value: string | number; description?: string }[];
}

/** Spawns the plugin; resolves once it has printed its port. */
export async function startProvider(options: { engineAddress?: string; timeoutMs?: number } = {}): Promise<ProviderProcess> {
  let output = "";
  // The engine passes its own address (logs go there); GetSchema alone never calls back.
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [RUN_PLUGIN, PACKAGE_DIR, options.engineAddress ?? "127.0.0.1:1"], {
    cwd: PACKAGE_DIR,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? REPO_ROOT },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the component provider did not start: ${output}`)), options.timeoutMs ?? 45_000);
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
      const m = /^(\d+)\s*$/m.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the component provider exited with ${String(code)}: ${output}`));
    });
  });
  const client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    client,
    log: () => output,
    getSchema: () =>
      new Promise((resolve, reject) =>
        client.getSchema(new providerPb.GetSchemaRequest().setVersion(0), (err, res) => (err ? reject(err) : resolve(JSON.parse(res.getSchema()) as PackageSchema))),
      ),
    construct: (c) =>
      new Promise((resolve, reject) => {
        const req = new providerPb.ConstructRequest()
          .setProject(c.project)
          .setStack(c.stack)
          .setDryrun(c.dryRun ?? false)
          .setParallel(16)
          .setMonitorendpoint(c.monitorEndpoint)
          .setType(c.type)
          .setName(c.name)
          .setParent(c.parent ?? "")
          .setInputs(Struct.fromJavaScript(c.inputs as Record<string, never>));
        for (const [key, urns] of Object.entries(c.inputDependencies ?? {})) {
          req.getInputdependenciesMap().set(key, new providerPb.ConstructRequest.PropertyDependencies().setUrnsList(urns));
        }
        client.construct(req, (err, res) => (err ? reject(err) : resolve({ urn: res.getUrn(), state: res.getState()?.toJavaScript() ?? {} })));
      }),
    stop() {
      client.close();
      child.kill("SIGKILL");
    },
  };
}

/**
 * The property errors a provider attached to a failed call (pulumirpc.InputPropertiesError in the
 * grpc-status-details-bin trailer): what the engine prints under the resource.
 */
export function propertyErrors(err: unknown): { propertyPath: string; reason: string }[] {
  const metadata = (err as { metadata?: import("@grpc/grpc-js").Metadata }).metadata;
  const raw = metadata?.get("grpc-status-details-bin")[0];
  if (!raw) return [];
  const status = statusPb.Status.deserializeBinary(new Uint8Array(raw as Buffer));
  return status
    .getDetailsList()
    .filter((any) => any.getTypeName() === "pulumirpc.InputPropertiesError")
    .flatMap((any) => errorsPb.InputPropertiesError.deserializeBinary(any.getValue_asU8()).getErrorsList())
    .map((e) => ({ propertyPath: e.getPropertyPath(), reason: e.getReason() }));
}

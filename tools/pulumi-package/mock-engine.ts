// A stand-in for the engine's side of a Construct call: a gRPC server offering pulumirpc.ResourceMonitor
// and pulumirpc.Engine, answering registrations with Pulumi's own MockMonitor driven by the clean-room
// mocks (tools/pulumi-mocks/mocks.cjs). A component provider started as the engine starts it
// (provider-process.ts) registers its children here over the wire, exactly as it would with the engine.
import { createRequire } from "node:module";
import type { RecordedResource } from "../pulumi-mocks/report.ts";

type ResourcePb = typeof import("@pulumi/pulumi/proto/resource_pb.js");
type ResourceGrpc = typeof import("@pulumi/pulumi/proto/resource_grpc_pb.js");
type EngineGrpc = typeof import("@pulumi/pulumi/proto/engine_grpc_pb.js");
type EnginePb = typeof import("@pulumi/pulumi/proto/engine_pb.js");

const require = createRequire(import.meta.url);
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const resourcePb = pulumiRequire("./proto/resource_pb.js") as ResourcePb;
const resourceGrpc = pulumiRequire("./proto/resource_grpc_pb.js") as ResourceGrpc;
const enginePb = pulumiRequire("./proto/engine_pb.js") as EnginePb;
const engineGrpc = pulumiRequire("./proto/engine_grpc_pb.js") as EngineGrpc;
const grpc = pulumiRequire("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const { Empty } = pulumiRequire("google-protobuf/google/protobuf/empty_pb.js") as typeof import("google-protobuf/google/protobuf/empty_pb.js");
const { MockMonitor } = pulumiRequire("./runtime/mocks.js") as typeof import("@pulumi/pulumi/runtime/mocks.js");
const { createCleanRoomMocks } = require("../pulumi-mocks/mocks.cjs") as {
  createCleanRoomMocks(): { mocks: ConstructorParameters<typeof MockMonitor>[0]; records: RecordedResource[] };
};

type Callback = (err: Error | null, res?: unknown) => void;
type Handler = (call: { request: any }, callback: Callback) => void;

export interface MockEngine {
  /** host:port of both services. */
  address: string;
  /** What the mocks saw: every registered resource's type, name, inputs and provider. */
  records: RecordedResource[];
  /** URNs assigned, in registration order. */
  urns(): string[];
  /** Engine.Log messages (severity and text). */
  logs: { severity: number; message: string }[];
  stop(): Promise<void>;
}

export async function startMockEngine(options: { project: string; stack: string }): Promise<MockEngine> {
  const recorder = createCleanRoomMocks();
  const monitor = new MockMonitor(recorder.mocks);
  // MockMonitor names URNs after this process's Pulumi settings; the provider's project and stack are the ones that count.
  (monitor as unknown as { newUrn(parent: string, type: string, name: string): string }).newUrn = (parent, type, name) => {
    const qualified = parent ? `${parent.split("::")[2]!.split("$").pop()}$${type}` : type;
    return `urn:pulumi:${options.stack}::${options.project}::${qualified}::${name}`;
  };
  const m = monitor as unknown as Record<string, (req: unknown, cb: Callback) => void>;
  const delegate = (method: string): Handler => (call, cb) => m[method]!.call(monitor, call.request, cb);
  const logs: MockEngine["logs"] = [];

  const server = new grpc.Server();
  server.addService(resourceGrpc.ResourceMonitorService, {
    registerResource: delegate("registerResource"),
    readResource: delegate("readResource"),
    invoke: delegate("invoke"),
    existsResource: delegate("existsResource"),
    registerPackage: delegate("registerPackage"),
    getDeploymentInfo: delegate("getDeploymentInfo"),
    // MockMonitor answers these with plain objects; over the wire they must be messages.
    registerResourceOutputs: ((call, cb) => m.registerResourceOutputs!.call(monitor, call.request, (err) => cb(err, new Empty()))) as Handler,
    registerStackTransform: ((_call, cb) => cb(null, new Empty())) as Handler,
    registerStackInvokeTransform: ((_call, cb) => cb(null, new Empty())) as Handler,
    supportsFeature: ((call, cb) =>
      cb(null, new resourcePb.SupportsFeatureResponse().setHassupport(call.request.getId() !== "outputValues"))) as Handler,
    call: ((_call, cb) => cb(new Error("mock engine: Call is not supported"))) as Handler,
    signalAndWaitForShutdown: ((_call, cb) => cb(null, new Empty())) as Handler,
  } as never);
  server.addService(engineGrpc.EngineService, {
    log: ((call, cb) => {
      logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage() });
      cb(null, new Empty());
    }) as Handler,
    getRootResource: ((_call, cb) => cb(null, new enginePb.GetRootResourceResponse().setUrn(""))) as Handler,
    setRootResource: ((_call, cb) => cb(null, new enginePb.SetRootResourceResponse())) as Handler,
  } as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    records: recorder.records,
    urns: () => [...monitor.resources.keys()],
    logs,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

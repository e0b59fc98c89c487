// Vitest side of the Pulumi mocks: installs them, records every registered resource with its inputs,
// and offers queries the component and program tests share.
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { getMonitor } from "@pulumi/pulumi/runtime/settings.js";
import type { RecordedResource } from "../../tools/pulumi-mocks/report.ts";

export type { RecordedResource };

interface MockModule {
  createCleanRoomMocks(options?: { subscriptionId?: string; tenantId?: string; attestUri?: string }): {
    mocks: pulumi.runtime.Mocks;
    records: RecordedResource[];
    calls: { token: string; inputs: any; provider?: string }[];
    reset(): void;
  };
  fakeGuid(...parts: string[]): string;
  DEFAULT_SUBSCRIPTION: string;
  DEFAULT_TENANT: string;
}

const require = createRequire(import.meta.url);
export const mockModule = require("../../tools/pulumi-mocks/mocks.cjs") as MockModule;
// Pulumi's runtime state is not in its public typings; rpcDone chains every outstanding registration.
const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore(): { settings: { rpcDone: Promise<unknown> } } };
export const DEFAULT_SUBSCRIPTION = mockModule.DEFAULT_SUBSCRIPTION;
export const DEFAULT_TENANT = mockModule.DEFAULT_TENANT;
export const fakeGuid = mockModule.fakeGuid;

export const PROJECT = "confidential-clean-room";

export interface MockSession {
  records: RecordedResource[];
  reset(): void;
  /** Waits until every pending registration has reached the mocks. */
  settle(): Promise<void>;
  all(type?: string): RecordedResource[];
  one(type: string, name: string): RecordedResource;
  find(type: string, name: string): RecordedResource | undefined;
  /** URNs the mock monitor assigned (they encode the parent chain). */
  urns(): string[];
  urnOf(type: string, name: string): string;
}

/** Installs the mocks (call once per test file, before constructing resources). */
export function setupPulumiMocks(options: { stack?: string; attestUri?: string } = {}): MockSession {
  const recorder = mockModule.createCleanRoomMocks({ attestUri: options.attestUri });
  void pulumi.runtime.setMocks(recorder.mocks, PROJECT, options.stack ?? "test", false);

  const monitorResources = (): Map<string, { urn: string }> =>
    ((getMonitor() as unknown as { resources?: Map<string, { urn: string }> }).resources ?? new Map());

  const session: MockSession = {
    records: recorder.records,
    reset() {
      recorder.reset();
      monitorResources().clear();
    },
    async settle() {
      // Every registration holds an rpcKeepAlive; rpcDone is replaced while new ones start.
      for (let i = 0; i < 200; i++) {
        const done = getStore().settings.rpcDone;
        const count = recorder.records.length;
        await done;
        await new Promise((r) => setImmediate(r));
        if (getStore().settings.rpcDone === done && recorder.records.length === count) return;
      }
      throw new Error("pulumi mocks did not settle");
    },
    all(type) {
      return type ? recorder.records.filter((r) => r.type === type) : [...recorder.records];
    },
    find(type, name) {
      return recorder.records.find((r) => r.type === type && r.name === name);
    },
    one(type, name) {
      const matches = recorder.records.filter((r) => r.type === type && r.name === name);
      if (matches.length !== 1) {
        const names = recorder.records.filter((r) => r.type === type).map((r) => r.name);
        throw new Error(`expected one ${type} named ${name}, found ${matches.length} (have: ${names.join(", ")})`);
      }
      return matches[0]!;
    },
    urns() {
      return [...monitorResources().keys()];
    },
    urnOf(type, name) {
      const urn = session.urns().find((u) => u.endsWith(`::${name}`) && u.split("::")[2]!.split("$").pop() === type);
      if (!urn) throw new Error(`no URN for ${type} ${name}`);
      return urn;
    },
  };
  return session;
}

/** The value of an Output (mocks run with preview=false, so every output resolves). */
export function valueOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => { resolve(v as T); return v; }));
}

/** Whether an Output is marked secret. */
export async function isSecret(output: pulumi.Output<unknown>): Promise<boolean> {
  return (await (output as unknown as { isSecret: Promise<boolean> }).isSecret) === true;
}

export const AzureTypes = {
  resourceGroup: "azure-native:resources:ResourceGroup",
  vnet: "azure-native:network:VirtualNetwork",
  subnet: "azure-native:network:Subnet",
  vault: "azure-native:keyvault:Vault",
  key: "azure-native:keyvault:Key",
  attestationProvider: "azure-native:attestation:AttestationProvider",
  storageAccount: "azure-native:storage:StorageAccount",
  blobService: "azure-native:storage:BlobServiceProperties",
  container: "azure-native:storage:BlobContainer",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  federatedCredential: "azure-native:managedidentity:FederatedIdentityCredential",
  cluster: "azure-native:containerservice:ManagedCluster",
  agentPool: "azure-native:containerservice:AgentPool",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  provider: "pulumi:providers:azure-native",
} as const;

export const K8sTypes = {
  provider: "pulumi:providers:kubernetes",
  namespace: "kubernetes:core/v1:Namespace",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  configMap: "kubernetes:core/v1:ConfigMap",
  job: "kubernetes:batch/v1:Job",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
} as const;

/** Role definition guid at the end of a roleDefinitionId. */
export function roleGuid(roleDefinitionId: string): string {
  return roleDefinitionId.split("/").pop()!;
}

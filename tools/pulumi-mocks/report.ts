// What preload.cjs writes when a program has run under the mocks.

/** A registration as the mocks' newResource saw it. */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider?: string;
  custom?: boolean;
}

/**
 * A registration as the engine would hand it to a policy pack: inputs to resource policies, outputs
 * and links to stack policies.
 */
export interface GraphResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Provider reference "<provider urn>::<id>", when the resource names an explicit provider. */
  provider?: string;
  options: {
    protect: boolean;
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    deleteBeforeReplace?: boolean;
    customTimeouts: { create: string; update: string; delete: string };
  };
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export interface MockRunReport {
  /** The runner's exit code as the process saw it at exit. */
  exitCode: number;
  resources: RecordedResource[];
  calls: { token: string }[];
  urns: string[];
  /** The stack resource's state as the engine stores it (secrets still wrapped). */
  stackOutputs?: Record<string, unknown>;
  /** Only registrations the mock monitor answered (a URN was assigned). */
  graph: GraphResource[];
}

/** Pulumi's serialized secret marker (what the engine stores for a secret stack output). */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSerializedSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIG;
}

// The resource graph a program registered, as capture-graph.cjs records it: what the engine would
// hand the policy pack (inputs to resource policies, outputs and links to stack policies).
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

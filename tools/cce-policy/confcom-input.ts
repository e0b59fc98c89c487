// confcom's v1 `--input` JSON (Azure/azure-cli-extensions src/confcom docs/v1_json_file_format.md)
// for the enclave group's containers: every value fixed except the open ones, which become the
// regex `.*`. What the policy fixes is decided by the container spec, never here.
import { GROUP_VOLUMES, type GroupContainer } from "../../components/enclave-container-spec.ts";

export interface ConfcomEnvVar {
  name: string;
  value: string;
  regex?: true;
}

export interface ConfcomContainer {
  name: string;
  properties: {
    image: string;
    command?: string[];
    environmentVariables: ConfcomEnvVar[];
    volumeMounts?: { name: string; mountPath: string; mountType: "secret" | "emptyDir"; readOnly: boolean }[];
  };
}

export interface ConfcomInput {
  version: "1.0";
  containers: ConfcomContainer[];
}

export class ConfcomInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfcomInputError";
  }
}

/** The input for `az confcom acipolicygen -i`; throws when a fixed value is not a plain string yet. */
export function confcomInput(containers: readonly GroupContainer[]): ConfcomInput {
  return {
    version: "1.0",
    containers: containers.map((c) => ({
      name: c.name,
      properties: {
        image: c.image,
        ...(c.command ? { command: [...c.command] } : {}),
        environmentVariables: c.env.map((e) => {
          if (e.open) return { name: e.name, value: ".*", regex: true as const };
          if (typeof e.value !== "string") {
            throw new ConfcomInputError(`container "${c.name}": ${e.name} must be known before the policy is generated, but it is a deployment output`);
          }
          return { name: e.name, value: e.value };
        }),
        ...(c.mounts.length > 0
          ? { volumeMounts: c.mounts.map((m) => ({ name: m.volume, mountPath: m.mountPath, mountType: GROUP_VOLUMES[m.volume], readOnly: m.readOnly })) }
          : {}),
      },
    })),
  };
}

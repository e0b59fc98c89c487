// A kubeconfig for a cluster with local accounts disabled: the only way in is an Entra ID token, which
// kubelogin (an exec credential plugin) obtains. The server and CA come from the cluster's user
// credentials; the login method is chosen here so `pulumi up` never stops at an interactive prompt.

/** Entra ID application id of the AKS AAD server (the same in every tenant of the public cloud). */
export const AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

/** kubelogin --login values that work without a prompt. */
export type KubeloginMode = "azurecli" | "workloadidentity" | "spn" | "msi" | "azd";
export const KUBELOGIN_MODES: readonly KubeloginMode[] = ["azurecli", "workloadidentity", "spn", "msi", "azd"];

export class KubeconfigError extends Error {
  readonly code = "KUBECONFIG_INVALID" as const;

  constructor(message: string) {
    super(message);
    this.name = "KubeconfigError";
  }
}

export interface ClusterEndpoint {
  server: string;
  certificateAuthorityData: string;
}

/**
 * Reads the API server URL and CA bundle out of the kubeconfig AKS returns from
 * listClusterUserCredential (YAML, one cluster). Only these two scalars are needed, so this reads
 * them line by line instead of pulling in a YAML parser.
 */
export function parseClusterEndpoint(kubeconfigYaml: string): ClusterEndpoint {
  const field = (key: string): string | undefined => {
    const m = new RegExp(`^\\s*${key}:\\s*["']?([^"'\\s]+)["']?\\s*$`, "m").exec(kubeconfigYaml);
    return m?.[1];
  };
  const server = field("server");
  const certificateAuthorityData = field("certificate-authority-data");
  if (!server || !/^https:\/\//.test(server)) {
    throw new KubeconfigError("cluster user credentials contain no https server URL");
  }
  if (!certificateAuthorityData) {
    throw new KubeconfigError(`cluster user credentials for ${server} contain no certificate-authority-data`);
  }
  return { server, certificateAuthorityData };
}

export interface KubeconfigOptions {
  clusterName: string;
  endpoint: ClusterEndpoint;
  tenantId: string;
  loginMode: KubeloginMode;
}

/** Kubeconfig (JSON, which is valid YAML) whose user runs `kubelogin get-token`. */
export function buildKubeloginKubeconfig(opts: KubeconfigOptions): string {
  const args = [
    "get-token",
    "--login",
    opts.loginMode,
    "--server-id",
    AKS_AAD_SERVER_ID,
    "--tenant-id",
    opts.tenantId,
    "--environment",
    "AzurePublicCloud",
  ];
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: opts.clusterName,
        cluster: { server: opts.endpoint.server, "certificate-authority-data": opts.endpoint.certificateAuthorityData },
      },
    ],
    users: [
      {
        name: `${opts.clusterName}-entra`,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "kubelogin",
            args,
            interactiveMode: "Never",
            provideClusterInfo: false,
            installHint: "install kubelogin (https://azure.github.io/kubelogin/) and put it on PATH",
          },
        },
      },
    ],
    contexts: [{ name: opts.clusterName, context: { cluster: opts.clusterName, user: `${opts.clusterName}-entra` } }],
    "current-context": opts.clusterName,
  };
  return JSON.stringify(config, null, 2);
}

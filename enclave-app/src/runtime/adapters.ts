// Builds the pipeline's adapters from the Job configuration. Azure and local wiring differ only here.
// The runtime never imports the local clean room (enclave-app/src/local, absent from the image):
// its Key Vault clients are handed in by the local entry point (local/enclave-main.ts).
import { strictKeyClientOptions } from "./keyrelease/strict-json-policy.ts";
import { readFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";
import type { IsolationMode } from "../protocol/index.ts";
import type { Attester } from "./attest/attester.ts";
import { CvmSkrAttester } from "./attest/cvm-skr.ts";
import { LocalAttester } from "./attest/local.ts";
import { SidecarAttester } from "./attest/sidecar.ts";
import type { RuntimeConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import type { KeyReleaseClient } from "./keyrelease/release.ts";
import { blobStoreFromServiceClient, type BlobStore } from "./storage/blob-store.ts";

export interface RuntimeAdapters {
  attester: Attester;
  storage: BlobStore;
  keyClientFor: (vaultUrl: string, party: string) => KeyReleaseClient;
  trustedRoots: readonly string[];
}

/**
 * What the attester must prove, taken from the (not yet validated) contract; the pipeline re-checks.
 * `hostdata` is informational: an attester reports what it was started with, never this value.
 */
export interface AttestationTarget {
  mode: IsolationMode;
  hostdata?: string;
}

/**
 * How the enclave reaches the local clean room's Key Vault stand-in: a KeyClient that trusts only
 * the local CA, authenticated as `principal`. Supplied by enclave-app/src/local.
 */
export interface LocalKeyVaultAccess {
  keyClient(vault: { url: string; caCertPem: string }, principal: string): KeyReleaseClient;
}

export interface AdapterFactories {
  /** Needed only with CLEANROOM_ATTESTER=local. */
  localKeyVault?: LocalKeyVaultAccess;
}

export async function buildAdapters(config: RuntimeConfig, target: AttestationTarget, factories: AdapterFactories = {}): Promise<RuntimeAdapters> {
  return config.attester === "local" ? buildLocalAdapters(config, target, factories.localKeyVault) : buildAzureAdapters(config, target);
}

/**
 * Azure: workload identity for Storage and Key Vault (the webhook injects AZURE_CLIENT_ID,
 * AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE), the public TLS roots as trust anchors of
 * Key Vault's signed release responses, and the attester CLEANROOM_ATTESTER names.
 */
export async function buildAzureAdapters(config: RuntimeConfig, target: AttestationTarget): Promise<RuntimeAdapters> {
  const { DefaultAzureCredential, WorkloadIdentityCredential } = await import("@azure/identity");
  const { BlobServiceClient } = await import("@azure/storage-blob");
  const { KeyClient } = await import("@azure/keyvault-keys");
  const credential = process.env["AZURE_FEDERATED_TOKEN_FILE"] ? new WorkloadIdentityCredential() : new DefaultAzureCredential();
  const clients = new Map<string, KeyReleaseClient>();
  let attester: Attester;
  if (config.attester === "cvm-skr") {
    attester = new CvmSkrAttester({
      attestationUrl: config.maaEndpoint,
      ...(config.imdsClientId !== undefined ? { imdsClientId: config.imdsClientId } : {}),
      ...(config.skrPath !== undefined ? { skrPath: config.skrPath } : {}),
      ...(config.attestationClientPath !== undefined ? { attestationClientPath: config.attestationClientPath } : {}),
    });
  } else {
    attester = new SidecarAttester({
      maaEndpoint: config.maaEndpoint,
      mode: target.mode,
      ...(config.sidecarUrl !== undefined ? { sidecarUrl: config.sidecarUrl } : {}),
    });
  }
  return {
    attester,
    storage: blobStoreFromServiceClient(new BlobServiceClient(config.storageUrl, credential)),
    keyClientFor: (vaultUrl) => {
      let client = clients.get(vaultUrl);
      if (!client) {
        client = new KeyClient(vaultUrl, credential, strictKeyClientOptions());
        clients.set(vaultUrl, client);
      }
      return client;
    },
    trustedRoots: rootCertificates,
  };
}

/**
 * Local clean room run out of process: the local authority by URL, the Key Vault stand-in through
 * the local clients (which trust the local CA only), Azurite by connection string.
 */
export async function buildLocalAdapters(config: RuntimeConfig, target: AttestationTarget, localKeyVault?: LocalKeyVaultAccess): Promise<RuntimeAdapters> {
  if (!localKeyVault) {
    // The enclave image ships runtime, protocol and envelope only; the local entry point supplies the rest.
    throw new ConfigError(
      "CLEANROOM_ATTESTER",
      `"local" needs the local clean room's Key Vault clients: run enclave-app/src/local/enclave-main.ts, not the enclave image's entry point (the image does not include enclave-app/src/local)`,
    );
  }
  if (!config.localCaFile || !config.storageConnectionString) {
    throw new Error("local adapters need CLEANROOM_LOCAL_CA_FILE and CLEANROOM_STORAGE_CONNECTION_STRING");
  }
  const caCertPem = await readFile(config.localCaFile, "utf8");
  // The simulated hardware measures the policy this process was started with, never the contract's pin.
  let ccePolicy: string | undefined;
  if (config.localCcePolicyFile !== undefined) {
    try {
      ccePolicy = (await readFile(config.localCcePolicyFile, "utf8")).trim();
    } catch (err) {
      throw new ConfigError("CLEANROOM_LOCAL_CCE_POLICY_FILE", `cannot read ${config.localCcePolicyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const { BlobServiceClient } = await import("@azure/storage-blob");
  const principal = config.localPrincipal ?? "enclave";
  const clients = new Map<string, KeyReleaseClient>();
  return {
    attester: new LocalAttester({
      authority: { url: config.maaEndpoint, caCertPem },
      mode: target.mode,
      ...(ccePolicy !== undefined ? { ccePolicy } : {}),
    }),
    storage: blobStoreFromServiceClient(BlobServiceClient.fromConnectionString(config.storageConnectionString)),
    keyClientFor: (vaultUrl) => {
      let client = clients.get(vaultUrl);
      if (!client) {
        client = localKeyVault.keyClient({ url: vaultUrl, caCertPem }, principal);
        clients.set(vaultUrl, client);
      }
      return client;
    },
    trustedRoots: [caCertPem],
  };
}

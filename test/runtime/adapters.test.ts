import { describe, expect, it } from "vitest";
import { localKeyVaultAccess } from "../../enclave-app/src/local/enclave-main.ts";
import { buildAdapters } from "../../enclave-app/src/runtime/adapters.ts";
import type { RuntimeConfig } from "../../enclave-app/src/runtime/config.ts";
import { ConfigError } from "../../enclave-app/src/runtime/errors.ts";

const localConfig = { attester: "local", maaEndpoint: "https://127.0.0.1:1", storageUrl: "http://127.0.0.1:2" } as RuntimeConfig;

describe("buildAdapters", () => {
  it("local: refuses, naming the local entry point, when the caller hands in no local Key Vault clients (as in the enclave image)", async () => {
    const err = await buildAdapters(localConfig, { mode: "confidential-node" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: "CONFIG_INVALID", variable: "CLEANROOM_ATTESTER" });
    expect((err as Error).message).toMatch(/enclave-app\/src\/local\/enclave-main\.ts/);
  });

  it("local: with the local clients handed in, the configuration is checked next", async () => {
    await expect(buildAdapters(localConfig, { mode: "confidential-node" }, { localKeyVault: localKeyVaultAccess })).rejects.toThrow(/CLEANROOM_LOCAL_CA_FILE/);
  });
});

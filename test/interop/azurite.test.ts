/** The Azurite helper: a working blob endpoint, and nothing left behind after stop(). */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, describe, expect, it } from "vitest";
import { DEV_ACCOUNT_NAME, resolveAzuriteBlobEntry, startAzurite } from "../../enclave-app/src/local/azurite.ts";

const workDir = mkdtempSync(join(tmpdir(), "azurite-helper-test-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe("startAzurite", () => {
  it("resolves the azurite-blob entry from the package's bin map", () => {
    expect(resolveAzuriteBlobEntry()).toMatch(/azurite[/\\]dist[/\\]src[/\\]blob[/\\]main\.js$/);
  });

  it("serves blobs with metadata on a loopback port and cleans up on stop", async () => {
    const azurite = await startAzurite({ workDir });
    const url = new URL(azurite.blobEndpoint);
    expect(url.hostname).toBe("127.0.0.1");
    expect(Number(url.port)).toBeGreaterThan(0);
    expect(url.pathname).toBe(`/${DEV_ACCOUNT_NAME}`);
    expect(azurite.connectionString).toContain(`BlobEndpoint=${azurite.blobEndpoint};`);
    expect(readdirSync(workDir)).toHaveLength(1);

    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("helper-test");
    await container.create();
    await container.getBlockBlobClient("b").upload("payload", 7, { metadata: { encryptiondata: '{"k":1}' } });
    const properties = await container.getBlobClient("b").getProperties();
    expect(properties.metadata).toEqual({ encryptiondata: '{"k":1}' });

    await azurite.stop();
    await azurite.stop(); // idempotent
    expect(readdirSync(workDir)).toHaveLength(0);
    await expect(fetch(`${azurite.blobEndpoint}?comp=list`)).rejects.toThrow();
  });

  it("two instances get different ports", async () => {
    const [a, b] = await Promise.all([startAzurite({ workDir }), startAzurite({ workDir })]);
    try {
      expect(a.blobEndpoint).not.toBe(b.blobEndpoint);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(existsSync(workDir) && readdirSync(workDir).length).toBe(0);
  });

  it("fails with a clear error when the emulator does not come up in time", async () => {
    await expect(startAzurite({ workDir, startTimeoutMs: 1 })).rejects.toMatchObject({
      code: "AZURITE_START_TIMEOUT",
      message: expect.stringContaining('did not report "listens on" within 1 ms'),
    });
    // The half-started child is killed and its directory removed.
    expect(readdirSync(workDir)).toHaveLength(0);
  });
});

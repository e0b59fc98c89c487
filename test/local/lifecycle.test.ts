// The local servers must not outlive close(): no listening socket, no open connection, even when a
// client kept its connection alive.
import { Agent, request } from "node:https";
import { describe, expect, it } from "vitest";
import { createLocalCa } from "../../enclave-app/src/local/ca.ts";
import { startAttestationAuthority } from "../../enclave-app/src/local/attestation-authority.ts";
import { startLocalKeyVault } from "../../enclave-app/src/local/key-vault.ts";
import { localCredential, localKeyClient } from "../../enclave-app/src/local/local-clients.ts";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startLocalCleanRoom } from "../../enclave-app/src/demo/cleanroom.ts";
import { rawRequest } from "./helpers.ts";

const NETWORK_RESOURCES = ["TCPServerWrap", "TCPSocketWrap", "TLSWrap", "TCPWRAP"];

function networkResources(): number {
  return process.getActiveResourcesInfo().filter((name) => NETWORK_RESOURCES.includes(name)).length;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("local server lifecycle", () => {
  it("closes the authority and the vault completely, even with a kept-alive client connection", async () => {
    await settle();
    const baseline = networkResources();
    const ca = await createLocalCa();
    const authority = await startAttestationAuthority({ ca });
    const vault = await startLocalKeyVault({ ca });
    expect(authority.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(vault.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(networkResources()).toBeGreaterThan(baseline);

    // A client that keeps its connection open after the response.
    const agent = new Agent({ keepAlive: true, ca: ca.certPem });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${authority.url}/certs`, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(200);
    await expect(localKeyClient(vault, localCredential("someone")).getKey("absent")).rejects.toMatchObject({ statusCode: 404 });

    const started = Date.now();
    await Promise.all([authority.close(), vault.close()]);
    await authority.close(); // idempotent
    expect(Date.now() - started).toBeLessThan(2000);
    await settle();
    // The kept-alive socket was closed by the server, not by the client.
    expect(networkResources()).toBe(baseline);
    agent.destroy();
    await expect(rawRequest(`${vault.url}/keys/x?api-version=7.4`, { ca: ca.certPem })).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("the demo's stop removes the scratch directory with whatever a run left in it", async () => {
    const room = await startLocalCleanRoom(["bank"]);
    // What a killed enclave run leaves: decrypted plaintext in its run directory.
    await mkdir(join(room.scratchDir, "run-killed"));
    await writeFile(join(room.scratchDir, "run-killed", "sales.csv"), "customer_id\n1\n");
    await room.close();
    expect(existsSync(room.scratchDir)).toBe(false);
    expect(existsSync(room.workDir)).toBe(false);
  });
});

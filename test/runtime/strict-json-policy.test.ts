// Key Vault's outer answers are parsed by the SDK; the strict-JSON pipeline policy makes a duplicate
// key there fail as it does everywhere else, through the real KeyClient and a real HTTPS exchange.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalCa } from "../../enclave-app/src/local/ca.ts";
import { startLoopbackHttpsServer, type LoopbackHttpsServer } from "../../enclave-app/src/local/https-server.ts";
import { localKeyClient } from "../../enclave-app/src/local/local-clients.ts";
import { KEY_VAULT_RESOURCE, LOCAL_TENANT_ID } from "../../enclave-app/src/local/entra-token.ts";

describe("strict JSON on Key Vault answers", () => {
  let server: LoopbackHttpsServer;
  let caCertPem: string;
  let body = "";

  beforeAll(async () => {
    const ca = await createLocalCa();
    caCertPem = ca.certPem;
    server = await startLoopbackHttpsServer(await ca.issueServerCert(["127.0.0.1", "localhost"]), async (req, res) => {
      for await (const _ of req) void _;
      if (!req.headers.authorization) {
        res.writeHead(401, { "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/${LOCAL_TENANT_ID}", resource="${KEY_VAULT_RESOURCE}"` });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(body);
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("refuses a release answer that gives a key twice, naming the key", async () => {
    body = '{"value":"first.jws.value","value":"second.jws.value"}';
    const client = localKeyClient({ url: server.url, caCertPem });
    await expect(client.releaseKey("bank-kek", "token")).rejects.toMatchObject({ code: "JSON_DUPLICATE_KEY", message: expect.stringMatching(/"value" twice/) });
  });

  it("passes a well-formed answer through unchanged", async () => {
    body = '{"value":"only.jws.value"}';
    const client = localKeyClient({ url: server.url, caCertPem });
    await expect(client.releaseKey("bank-kek", "token")).resolves.toMatchObject({ value: "only.jws.value" });
  });
});

import { describe, expect, it } from "vitest";
import { KEY_VAULT_RESOURCE, readLocalAccessToken } from "../../enclave-app/src/local/entra-token.ts";
import { localCredential } from "../../enclave-app/src/local/local-clients.ts";
import { decodeJwtPart } from "./helpers.ts";

describe("localCredential", () => {
  it("mints tokens for the requested resource and tenant that name the principal", async () => {
    const token = await localCredential("party-a-admin").getToken(`${KEY_VAULT_RESOURCE}/.default`, { tenantId: "tenant-1" });
    expect(token?.tokenType).toBe("Bearer");
    expect(token!.expiresOnTimestamp).toBeGreaterThan(Date.now());
    expect(decodeJwtPart(token!.token, 0)).toEqual({ alg: "none", typ: "JWT" });
    expect(decodeJwtPart(token!.token, 1)).toMatchObject({ aud: KEY_VAULT_RESOURCE, oid: "party-a-admin", tid: "tenant-1" });
    const now = Math.floor(Date.now() / 1000);
    expect(readLocalAccessToken(token!.token, KEY_VAULT_RESOURCE, now)).toEqual({ ok: true, principal: "party-a-admin" });
    // The same token is refused for another audience and once expired.
    expect(readLocalAccessToken(token!.token, "https://storage.azure.com", now)).toMatchObject({ ok: false });
    expect(readLocalAccessToken(token!.token, KEY_VAULT_RESOURCE, now + 7200)).toEqual({ ok: false, reason: "bearer token is expired" });
  });

  it("refuses principal names that could not appear in an audit line unambiguously", () => {
    for (const bad of ["", "has space", "semi;colon", "x".repeat(200)]) {
      expect(() => localCredential(bad)).toThrow(expect.objectContaining({ code: "CREDENTIAL_INVALID" }));
    }
    expect(() => localCredential("enclave@cleanroom:node-1")).not.toThrow();
  });
});

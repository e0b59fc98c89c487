// Loads the checked-in protocol fixtures (regenerate with test/fixtures/protocol/generate.ts).
import { readFileSync } from "node:fs";
import type { JsonWebKey } from "node:crypto";
import type { Claims, Contract } from "../../enclave-app/src/protocol/index.ts";

export const FIXTURES = new URL("../fixtures/protocol/", import.meta.url);

export function fixturePath(name: string): string {
  return new URL(name, FIXTURES).pathname;
}

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as T;
}

/** A fresh deep copy of the fraud-detection contract (bank + insurer), safe to mutate. */
export function fraudContract(): Contract {
  return readJson<Contract>("fraud-contract.json");
}

/** The raw contract as mutable JSON, for tests that break it on purpose. */
export function rawFraudContract(): Record<string, any> {
  return readJson<Record<string, any>>("fraud-contract.json");
}

export function signingKey(party: "bank" | "insurer"): JsonWebKey {
  return readJson<JsonWebKey>(`${party}.signing.test-only.jwk.json`);
}

export function containerClaims(): Claims {
  return readJson<Claims>("maa-container-claims.json");
}

export function cvmClaims(): Claims {
  return readJson<Claims>("maa-cvm-claims.json");
}

export const FIXTURE_AUTHORITY = "https://sharedweu.weu.attest.azure.net";

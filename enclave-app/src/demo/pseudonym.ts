import { createHash, createHmac } from "node:crypto";

/**
 * Pseudonymous person ids: HMAC-SHA256 under a salt the parties agree out of band (never put in
 * the contract or sent to the clean room), truncated to 64 bits. The same person gets the same
 * id at every party, so the enclave can join on it, yet no party's raw customer or patient
 * numbers leave its premises, and without the salt the ids cannot be reversed by enumeration.
 */
export function pseudonymize(salt: Buffer, personNumber: string): string {
  return createHmac("sha256", salt).update(personNumber).digest("hex").slice(0, 16);
}

/** In the demo the salt is derived from the seed so runs are reproducible; real parties pick 32 random bytes. */
export function demoSalt(scenario: string, seed: number): Buffer {
  return createHash("sha256").update(`cleanroom-demo-salt:${scenario}:${seed}`).digest();
}

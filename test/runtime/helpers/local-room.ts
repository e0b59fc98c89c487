// A minimal local clean room for pipeline tests: one CA, Azurite, an attestation authority and one
// Key Vault stand-in per party, plus the party-side steps (import the KEK with its release policy,
// grant the enclave the release role, encrypt and upload a dataset, approve the contract).
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { encryptStream, serializeEncryptionData } from "../../../enclave-app/src/envelope/index.ts";
import { startAttestationAuthority, type LocalAttestationAuthority } from "../../../enclave-app/src/local/attestation-authority.ts";
import { startAzurite, type AzuriteInstance } from "../../../enclave-app/src/local/azurite.ts";
import { createLocalCa, type LocalCa } from "../../../enclave-app/src/local/ca.ts";
import { startLocalKeyVault, type LocalKeyVault } from "../../../enclave-app/src/local/key-vault.ts";
import { localCredential, localKeyClient } from "../../../enclave-app/src/local/local-clients.ts";
import {
  buildReleasePolicy,
  encodeReleasePolicy,
  kekKeyName,
  signApproval,
  type Approvals,
  type AttestationRequirements,
  type Contract,
  type DatasetSpec,
} from "../../../enclave-app/src/protocol/index.ts";
import type { TestParty } from "./contract.ts";

export const ENCLAVE_PRINCIPAL = "enclave-kubelet";

export interface LocalRoom {
  ca: LocalCa;
  azurite: AzuriteInstance;
  authority: LocalAttestationAuthority;
  vaults: Map<string, LocalKeyVault>;
  service: BlobServiceClient;
  scratchDir: string;
  close(): Promise<void>;
}

export async function startRoom(parties: string[]): Promise<LocalRoom> {
  const workDir = await mkdtemp(join(tmpdir(), "cleanroom-runtime-test-"));
  const scratchDir = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : workDir, "cleanroom-runtime-scratch-"));
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await rm(scratchDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    const ca = await createLocalCa();
    const azurite = await startAzurite({ workDir });
    closers.push(() => azurite.stop());
    const authority = await startAttestationAuthority({ ca });
    closers.push(() => authority.close());
    const vaults = new Map<string, LocalKeyVault>();
    for (const p of parties) {
      const vault = await startLocalKeyVault({ ca, trustedAuthorities: [authority.url] });
      closers.push(() => vault.close());
      vaults.set(p, vault);
    }
    return { ca, azurite, authority, vaults, service: BlobServiceClient.fromConnectionString(azurite.connectionString), scratchDir, close };
  } catch (err) {
    await close();
    throw err;
  }
}

const RSA_MEMBERS = ["n", "e", "d", "p", "q", "dp", "dq", "qi"] as const;

/** The party imports its KEK (so the test can decrypt results) with the policy of `attestation`. */
export async function provisionKek(room: LocalRoom, party: TestParty, attestation: AttestationRequirements): Promise<void> {
  const vault = room.vaults.get(party.name);
  if (!vault) throw new Error(`no vault for ${party.name}`);
  const policy = buildReleasePolicy(attestation);
  const name = kekKeyName(party.name, party.kek.privateKey.asymmetricKeyDetails?.modulusLength ?? 0, policy);
  const admin = localKeyClient(vault, localCredential(`${party.name}-admin`));
  const jwk = party.kek.privateKey.export({ format: "jwk" });
  const material = Object.fromEntries(RSA_MEMBERS.map((m) => [m, Buffer.from(String(jwk[m]), "base64url")]));
  const key = await admin.importKey(
    name,
    { kty: "RSA-HSM", keyOps: ["wrapKey", "unwrapKey", "encrypt", "decrypt"], ...material },
    { hardwareProtected: true, exportable: true, releasePolicy: { encodedPolicy: Buffer.from(encodeReleasePolicy(policy).data, "base64url"), immutable: true } },
  );
  vault.grantRelease(name, ENCLAVE_PRINCIPAL);
  if (!key.id) throw new Error("no key id");
  party.kek.keyId = key.id;
}

export async function container(room: LocalRoom, name: string): Promise<ContainerClient> {
  const c = room.service.getContainerClient(name);
  await c.createIfNotExists();
  return c;
}

function sink(): { stream: Writable; buffer: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
    buffer: () => Buffer.concat(chunks),
  };
}

/** The owner encrypts a CSV under its KEK (CSE v2, RSA-OAEP-256) and uploads it. */
export async function uploadDataset(
  room: LocalRoom,
  owner: TestParty,
  spec: Omit<DatasetSpec, "ciphertextSha256" | "plaintextLength" | "owner" | "format">,
  csv: string,
): Promise<DatasetSpec> {
  const [containerName, ...rest] = spec.blobPath.split("/");
  const c = await container(room, containerName!);
  const out = sink();
  const plaintext = Buffer.from(csv, "utf8");
  const res = await encryptStream(Readable.from([plaintext]), out.stream, { kek: owner.kek.publicJwk, keyId: owner.kek.keyId, algorithm: "RSA-OAEP-256" });
  const data = out.buffer();
  await c.getBlockBlobClient(rest.join("/")).uploadData(data, { metadata: { encryptiondata: serializeEncryptionData(res.encryptionData) } });
  return { ...spec, owner: owner.name, format: "csv", ciphertextSha256: res.ciphertextSha256, plaintextLength: plaintext.length };
}

export async function approveAll(contract: Contract, parties: TestParty[]): Promise<Approvals> {
  const approvals: Approvals = {};
  for (const p of parties) approvals[p.name] = await signApproval(contract, p.name, p.signing.privateKey);
  return approvals;
}

export async function listBlobs(c: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  for await (const b of c.listBlobsFlat()) names.push(b.name);
  return names;
}

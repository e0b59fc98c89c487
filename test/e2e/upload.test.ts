// The demo's dataset upload is create-only and survives a lost answer: what a party's uploader
// relies on when its connection drops after Storage wrote the blob.
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type BlockBlobClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DemoParty } from "../../enclave-app/src/demo/parties.ts";
import { encryptAndUpload } from "../../enclave-app/src/demo/upload.ts";
import { startAzurite, type AzuriteInstance } from "../../enclave-app/src/local/azurite.ts";
import { BlobConflictError } from "../../enclave-app/src/runtime/storage/idempotent-upload.ts";

let workDir: string;
let azurite: AzuriteInstance;
let service: BlobServiceClient;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "cleanroom-upload-test-"));
  azurite = await startAzurite({ workDir });
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
});

afterAll(async () => {
  await azurite?.stop();
  await rm(workDir, { recursive: true, force: true });
});

const kek = generateKeyPairSync("rsa", { modulusLength: 2048 });
const owner: DemoParty = {
  name: "bank",
  label: "Bank",
  signing: { ...generateKeyPairSync("ec", { namedCurve: "P-256" }), publicJwk: {} } as unknown as DemoParty["signing"],
  kek: { privateKey: kek.privateKey, publicKey: kek.publicKey, publicJwk: kek.publicKey.export({ format: "jwk" }), keyId: "https://bank.vault.azure.net/keys/kek/0123456789abcdef0123456789abcdef" },
};
const data = { dataset: "sales", chunks: [Buffer.from("customer_id,amount\n1,10\n2,20\n")], rows: 2, bytes: 26 };

/** A container whose PUTs reach storage and then lose their answer. */
function losingAnswers(container: ContainerClient): ContainerClient {
  const bind = <T extends object>(target: T, key: PropertyKey) => {
    const v = Reflect.get(target, key, target) as unknown;
    return typeof v === "function" ? v.bind(target) : v;
  };
  return new Proxy(container, {
    get(target, key) {
      if (key !== "getBlockBlobClient") return bind(target, key);
      return (name: string) =>
        new Proxy(target.getBlockBlobClient(name), {
          get(blob: BlockBlobClient, k) {
            if (k !== "uploadData") return bind(blob, k);
            return async (...args: Parameters<BlockBlobClient["uploadData"]>) => {
              await blob.uploadData(...args);
              throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
            };
          },
        });
    },
  });
}

describe("encryptAndUpload (the demo's party upload)", () => {
  it("counts a blob written before the answer was lost as uploaded", async () => {
    const container = service.getContainerClient("bank-in-lost");
    const dataset = { name: "sales", owner: "bank", container: container.containerName, blobName: "sales.csv.enc", schema: [] };
    const uploaded = await encryptAndUpload({ container: losingAnswers(container), dataset, data, owner });
    const blob = container.getBlockBlobClient("sales.csv.enc");
    expect((await blob.getProperties()).contentLength).toBe(uploaded.ciphertextLength);
  });

  it("never replaces an existing dataset blob: another upload fails naming it, and the first stays", async () => {
    const container = service.getContainerClient("bank-in-twice");
    const dataset = { name: "sales", owner: "bank", container: container.containerName, blobName: "sales.csv.enc", schema: [] };
    await encryptAndUpload({ container, dataset, data, owner });
    const before = await container.getBlockBlobClient("sales.csv.enc").downloadToBuffer();
    // Same plaintext, fresh content key: other ciphertext.
    const err = await encryptAndUpload({ container, dataset, data, owner }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobConflictError);
    expect((err as Error).message).toMatch(/^bank-in-twice\/sales\.csv\.enc already exists with other content \(metadata encryptiondata differs\): blobs are never overwritten/);
    expect(await container.getBlockBlobClient("sales.csv.enc").downloadToBuffer()).toEqual(before);
  });
});

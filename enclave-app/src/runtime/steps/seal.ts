// Step 8, seal: the guarded result as CSV, encrypted to each recipient's KEK public key from the
// contract (CSE v2, RSA-OAEP-256, the java nonce layout every SDK reader accepts), staged in memory
// (results are aggregates). The plaintext CSV is zeroed once every copy is sealed.
import { Readable, Writable } from "node:stream";
import { DEFAULT_NONCE_SCHEME, encryptStream, serializeEncryptionData } from "../../envelope/index.ts";
import type { Contract } from "../../protocol/index.ts";
import { RuntimeError } from "../errors.ts";
import type { GuardedResult } from "../privacy/guard.ts";
import { toCsv } from "../sql/csv.ts";
import { resultBlobName } from "./output-names.ts";
import type { RunReporter } from "./reporter.ts";

export interface SealInput {
  result: GuardedResult;
  contract: Contract;
  contractHash: string;
  runId: string;
  /** Region size of the result blobs (default: the envelope's 4 MiB). */
  regionSize?: number;
}

/** One recipient's encrypted copy, ready to upload. */
export interface SealedResult {
  recipient: string;
  blobName: string;
  data: Buffer;
  metadata: Record<string, string>;
  sha256: string;
}

export async function seal(input: SealInput, reporter: RunReporter): Promise<SealedResult[]> {
  const { contract } = input;
  const csv = Buffer.from(toCsv(input.result), "utf8");
  try {
    const sealed: SealedResult[] = [];
    for (const recipient of [...new Set(contract.recipients)]) {
      const party = contract.parties.find((p) => p.name === recipient);
      if (!party) throw new RuntimeError("CONTRACT_INVALID", `recipient "${recipient}" is not a party`, { step: "encrypt", party: recipient });
      sealed.push(
        await reporter.timed(
          "encrypt",
          async () => {
            const sink = collect();
            const res = await encryptStream(Readable.from([csv]), sink.stream, {
              kek: party.kek.publicKey,
              keyId: party.kek.keyId,
              algorithm: "RSA-OAEP-256",
              // A recipient may read with any SDK; the java layout is the one all of them accept.
              nonceScheme: DEFAULT_NONCE_SCHEME,
              ...(input.regionSize !== undefined ? { regionSize: input.regionSize } : {}),
            });
            return {
              recipient,
              blobName: resultBlobName(input.contractHash, input.runId, recipient),
              data: sink.buffer(),
              metadata: { encryptiondata: serializeEncryptionData(res.encryptionData) },
              sha256: res.ciphertextSha256,
            };
          },
          { recipient },
        ),
      );
    }
    return sealed;
  } finally {
    csv.fill(0);
  }
}

function collect(): { stream: Writable; buffer: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        cb();
      },
    }),
    buffer: () => Buffer.concat(chunks),
  };
}

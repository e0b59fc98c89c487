// A dataset download that breaks off midway (a reset connection, a body shorter than announced) is
// picked up from the byte where it stopped, pinned to the version first read, a bounded number of times.
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { DownloadBrokenError, resumableDownload, type RangeAnswer } from "../../../enclave-app/src/runtime/storage/resumable-download.ts";

const BLOB = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));

/** An answer from `offset` that delivers `deliver` bytes, then fails (or ends early). */
function brokenAnswer(offset: number, deliver: number, fail: "reset" | "short"): RangeAnswer {
  const body = new Readable({ read() {} });
  body.push(BLOB.subarray(offset, offset + deliver));
  setImmediate(() => (fail === "reset" ? body.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" })) : body.push(null)));
  return { body, contentLength: BLOB.length - offset, etag: '"v1"' };
}

const whole = (offset: number): RangeAnswer => ({ body: Readable.from([BLOB.subarray(offset)]), contentLength: BLOB.length - offset, etag: '"v1"' });

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe("resumableDownload", () => {
  it("resumes after a reset and after an early end, from the byte reached, with the first answer's ETag", async () => {
    const calls: { offset: number; etag: string | undefined }[] = [];
    const answers = [(o: number) => brokenAnswer(o, 3_000, "reset"), (o: number) => brokenAnswer(o, 4_000, "short"), whole];
    const stream = await resumableDownload({
      what: "download of input-bank/t.csv",
      async open(offset, etag) {
        calls.push({ offset, etag });
        return answers[calls.length - 1]!(offset);
      },
    });
    expect((await collect(stream)).equals(BLOB)).toBe(true);
    expect(calls).toEqual([
      { offset: 0, etag: undefined },
      { offset: 3_000, etag: '"v1"' },
      { offset: 7_000, etag: '"v1"' },
    ]);
  });

  it("gives up after maxResumes breaks, naming the blob and how far it got", async () => {
    let opened = 0;
    const stream = await resumableDownload({
      what: "download of input-bank/t.csv",
      maxResumes: 2,
      async open(offset) {
        opened++;
        return brokenAnswer(offset, 1_000, "reset");
      },
    });
    const err = await collect(stream).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadBrokenError);
    expect((err as Error).message).toBe("download of input-bank/t.csv: broke off at byte 3000 of 10000 after 2 resume(s): aborted");
    expect(opened).toBe(3);
  });

  it("closes the answer being read when the reader stops early", async () => {
    const body = new Readable({ read() {} });
    body.push(BLOB.subarray(0, 1_000));
    const stream = (await resumableDownload({ what: "x", open: async () => ({ body, contentLength: BLOB.length }) })) as Readable;
    for await (const _chunk of stream) break;
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.destroyed).toBe(true);
  });

  it("fails at once when the first request fails (a missing blob is not retried here)", async () => {
    const missing = Object.assign(new Error("BlobNotFound"), { statusCode: 404 });
    await expect(resumableDownload({ what: "x", open: () => Promise.reject(missing) })).rejects.toBe(missing);
  });
});

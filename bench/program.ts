// npm run bench:program — constructs a 50-party CleanRoom (phase 2: keys, digests and verified
// approvals, so the enclave workload is included) under Pulumi mocks and prints construction time,
// resource count and peak RSS. Mocks stand in for the engine; the figures cover the program side only.
import { generateKeyPairSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { CleanRoom, cleanRoomContract, verifyContractApprovals, type CleanRoomArgs } from "../components/index.ts";
import { signApproval, type Approvals } from "../enclave-app/src/protocol/index.ts";

const PARTIES = Number(process.env.BENCH_PARTIES ?? 50);
const require = createRequire(import.meta.url);
const { createCleanRoomMocks, fakeGuid } = require("../tools/pulumi-mocks/mocks.cjs") as {
  createCleanRoomMocks(): { mocks: pulumi.runtime.Mocks; records: unknown[] };
  fakeGuid(...parts: string[]): string;
};
const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore(): { settings: { rpcDone: Promise<unknown> } } };

async function settle(records: unknown[]): Promise<void> {
  for (;;) {
    const done = getStore().settings.rpcDone;
    const n = records.length;
    await done;
    await new Promise((r) => setImmediate(r));
    if (getStore().settings.rpcDone === done && records.length === n) return;
  }
}

async function main(): Promise<void> {
  const recorder = createCleanRoomMocks();
  await pulumi.runtime.setMocks(recorder.mocks, "confidential-clean-room", "bench", false);

  const t0 = performance.now();
  const names = Array.from({ length: PARTIES }, (_, i) => `party-${String(i).padStart(2, "0")}`);
  const keys = names.map(() => ({
    signing: generateKeyPairSync("ec", { namedCurve: "P-256" }),
    kek: generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" }),
  }));
  const keygenMs = performance.now() - t0;

  const args: CleanRoomArgs = {
    collaboration: "bench-collab",
    location: "westeurope",
    tenantId: fakeGuid("tenant"),
    clusterAdminGroupObjectIds: [fakeGuid("admins")],
    enclaveImage: `ghcr.io/example/enclave@sha256:${"0".repeat(64)}`,
    parties: names.map((name, i) => ({
      name,
      admins: [fakeGuid(name, "admin")],
      uploaders: [fakeGuid(name, "uploader")],
      ipRanges: [`198.51.${i}.0/24`],
      signingKey: keys[i]!.signing.publicKey.export({ format: "jwk" }),
      kekPublicKey: keys[i]!.kek,
    })),
    datasets: names.map((owner, i) => ({
      name: `data_${i}`,
      owner,
      blobName: "data.csv.enc",
      format: "csv" as const,
      schema: [
        { name: "region", type: "VARCHAR" },
        { name: "n", type: "BIGINT" },
      ],
      ciphertextSha256: fakeGuid(owner).replace(/-/g, "").padEnd(64, "0").slice(0, 64),
      plaintextLength: 1_000_000,
    })),
    sql: names.map((_, i) => `SELECT region, n FROM data_${i}`).join(" UNION ALL "),
    privacy: { minGroupSize: 5, countColumn: "n", allowedColumns: ["region", "n"] },
    recipients: names.slice(0, 5),
  };

  const t1 = performance.now();
  const contract = cleanRoomContract(args)!;
  const approvals: Approvals = {};
  for (const [i, name] of names.entries()) approvals[name] = await signApproval(contract, name, keys[i]!.signing.privateKey);
  const verified = await verifyContractApprovals(contract, approvals);
  const approvalsMs = performance.now() - t1;

  const t2 = performance.now();
  new CleanRoom("bench", { ...args, approvals: verified });
  const constructMs = performance.now() - t2;
  await settle(recorder.records);
  const totalMs = performance.now() - t2;

  const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
  const usage = process.resourceUsage();
  console.log(`parties:                     ${PARTIES}`);
  console.log(`resources registered:        ${recorder.records.length}`);
  console.log(`test key generation:         ${keygenMs.toFixed(0)} ms (not part of the program)`);
  console.log(`contract + sign + verify:    ${approvalsMs.toFixed(0)} ms`);
  console.log(`CleanRoom constructor:       ${constructMs.toFixed(0)} ms`);
  console.log(`until all registered:        ${totalMs.toFixed(0)} ms`);
  console.log(`peak RSS:                    ${mib(usage.maxRSS * 1024)} MiB`);
  console.log(`heap used now:               ${mib(process.memoryUsage().heapUsed)} MiB`);
}

await main();

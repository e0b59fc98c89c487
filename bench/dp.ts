// npx node bench/dp.ts — throughput of the exact DP samplers and the privacy ledger, so a change
// that makes them slower shows here and not as a timed unit test. Prints draws (or entries) per
// second, median of 5 runs; run on an idle machine.
import { generateKeyPairSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import { appendEntry, type LedgerRecord, verifyChain } from "../enclave-app/src/runtime/privacy/dp/ledger.ts";
import { es256LedgerSigner, es256LedgerVerifier } from "../enclave-app/src/runtime/privacy/dp/ledger-signer.ts";
import { rational } from "../enclave-app/src/runtime/privacy/dp/rational.ts";
import { bernoulliExp, discreteGaussian, discreteLaplace } from "../enclave-app/src/runtime/privacy/dp/samplers.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function rate(label: string, n: number, once: () => unknown | Promise<unknown>): Promise<void> {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await once();
    runs.push(n / ((performance.now() - t0) / 1000));
  }
  console.log(`${label.padEnd(48)} ${Math.round(median(runs)).toLocaleString("en").padStart(12)} /s`);
}

await rate("Bernoulli(exp(-5/2))", 50_000, () => bernoulliExp(rational(5n, 2n)));
await rate("discrete Laplace, scale 1", 50_000, () => discreteLaplace(rational(1n)));
await rate("discrete Laplace, scale 8000 (noisy SUM)", 50_000, () => discreteLaplace(rational(8000n)));
await rate("discrete Gaussian, sigma^2 = 4", 20_000, () => discreteGaussian(rational(4n)));
await rate("discrete Gaussian, sigma^2 = 10^6", 20_000, () => discreteGaussian(rational(1_000_000n)));

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const options = { budget: { collaborationId: "bench", epsilon: "1000000", delta: "0.5" }, signer: es256LedgerSigner(privateKey), verifier: es256LedgerVerifier(publicKey) };
let records: LedgerRecord[] = [];
for (let i = 0; i < 100; i++) {
  records = (await appendEntry(records, { epsilon: "0.1", delta: "0", runId: `run-${i}`, contractHash: "a".repeat(64), template: "noisy-count", parameters: {} }, options)).records;
}
await rate("verifyChain, 100 entries (chains per second)", 20, () => verifyChain(records, options));

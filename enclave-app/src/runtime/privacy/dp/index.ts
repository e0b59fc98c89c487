// Public surface of the differential-privacy modules (see docs/differential-privacy.md).
export { keepGroupsPerUnit, keepRowsPerUnit, newRunSecret } from "./bounding.ts";
export { DpParameterError, LedgerError, type LedgerFailure } from "./errors.ts";
export {
  type AppendOptions,
  type AppendRequest,
  appendEntry,
  budgetProblem,
  entryHash,
  genesisHash,
  type LedgerBudget,
  type LedgerEntry,
  type LedgerHead,
  type LedgerRecord,
  type LedgerSigner,
  type LedgerVerifier,
  ledgerHead,
  verifyChain,
  verifyChainStructure,
} from "./ledger.ts";
export { es256LedgerSigner, es256LedgerVerifier, hmacLedgerKey, hmacLedgerSigner } from "./ledger-signer.ts";
export { noisyAvg, noisyCount, noisyExactSum, noisySum } from "./mechanisms.ts";
export type { Decimal } from "./params.ts";
export { type Rational, rational } from "./rational.ts";
export { bernoulliExp, discreteGaussian, discreteLaplace, type SamplerOptions } from "./samplers.ts";
export { type RandomSource } from "./random.ts";
export { releaseThreshold, selectGroups } from "./threshold.ts";

// The contract as the CleanRoom arguments describe it, and where each contract field comes from in
// those arguments. The contract's rules are the protocol's (validateContract); this module only builds
// the document and maps the paths of its issues back to the arguments a user wrote, so one rule is
// reported once, at the argument to fix, in both phases.
import { inputContainerName, type AttestationRequirements, type ContractDraft } from "../enclave-app/src/protocol/index.ts";
import type { CleanRoomArgs } from "./plan.ts";

/** What the plan derives for the contract: each party's versionless key id, and the attestation requirements. */
export interface DerivedContractFields {
  keyIdOf(party: string): string;
  attestation: AttestationRequirements;
}

/**
 * The contract the arguments describe. Without `derived`, or while keys and digests are missing, it
 * is a draft (absent fields left out). Total over malformed arguments: a value of the wrong kind is
 * passed through for the contract's schema to report, never thrown on here.
 */
export function buildContract(args: CleanRoomArgs, derived?: DerivedContractFields): ContractDraft {
  const list = <T, U>(value: T[] | undefined, each: (item: T) => U): U[] => (Array.isArray(value) ? value.map((item) => (isObject(item) ? each(item) : (item as unknown as U))) : (value as unknown as U[]));
  return {
    version: "1.0",
    collaboration: args.collaboration,
    parties: list(args.parties, (p) => {
      const keyId = derived && typeof p.name === "string" ? derived.keyIdOf(p.name) : undefined;
      const kek = defined({ keyId, publicKey: p.kekPublicKey });
      return defined({ name: p.name, signingKey: p.signingKey, kek: Object.keys(kek).length > 0 ? kek : undefined });
    }),
    datasets: list(args.datasets, (d) =>
      defined({
        name: d.name,
        owner: d.owner,
        blobPath: typeof d.owner === "string" && typeof d.blobName === "string" ? `${inputContainerName(d.owner)}/${d.blobName}` : d.blobName,
        format: d.format,
        schema: list(d.schema, (c) => ({ name: c.name, type: c.type })),
        ciphertextSha256: d.ciphertextSha256,
        plaintextLength: d.plaintextLength,
        analysis: d.analysis,
      }),
    ),
    sql: args.sql,
    privacy: isObject(args.privacy)
      ? defined({
          minGroupSize: args.privacy.minGroupSize,
          countColumn: args.privacy.countColumn,
          allowedColumns: Array.isArray(args.privacy.allowedColumns) ? [...args.privacy.allowedColumns] : args.privacy.allowedColumns,
          mode: args.privacy.mode,
          dp: args.privacy.dp,
        })
      : args.privacy,
    recipients: Array.isArray(args.recipients) ? [...args.recipients] : args.recipients,
    enclave: { image: args.enclaveImage },
    ...(derived ? { attestation: derived.attestation } : {}),
  };
}

/**
 * Where each contract path comes from in CleanRoomArgs, longest first; `[]` stands for an index, kept.
 * A path not listed is spelled the same in both (parties[i].name, datasets[i].schema, sql, privacy...).
 */
const ARGS_PATH_OF_CONTRACT: readonly (readonly [contract: string, args: string])[] = [
  ["parties[].kek.publicKey", "parties[].kekPublicKey"],
  ["parties[].kek.keyId", "parties[].vaultName"],
  ["parties[].kek", "parties[].kekPublicKey"],
  ["datasets[].blobPath", "datasets[].blobName"],
  ["enclave.image", "enclaveImage"],
  ["enclave", "enclaveImage"],
  ["attestation.authority", "location"],
  ["attestation.mode", "isolationMode"],
  ["attestation.hostdata", "enclave.ccePolicy"],
  ["attestation.confcomVersion", "enclave.confcomVersion"],
  ["attestation.policyHash", "attestation.policyHash"],
  ["attestation", "location"],
  ["version", ""],
];

/** "parties[1].kek.publicKey.n" -> "parties[1].kekPublicKey.n". */
export function argsPathOfContractPath(path: string): string {
  const indices: string[] = [];
  const shape = path.replace(/\[(\d+)\]/g, (_, i: string) => {
    indices.push(i);
    return "[]";
  });
  let mapped = shape;
  for (const [from, to] of ARGS_PATH_OF_CONTRACT) {
    const rest = shape.slice(from.length);
    if (shape.startsWith(from) && (rest === "" || rest.startsWith(".") || rest.startsWith("["))) {
      mapped = to === "" ? rest.replace(/^\./, "") : `${to}${rest}`;
      break;
    }
  }
  let next = 0;
  return mapped.replace(/\[\]/g, () => `[${indices[next++]}]`);
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object without its undefined members, so a draft has no `"signingKey": undefined` fields. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

// "Obtain an unwrapper for party P's KEK": the one per-party step of the pipeline, with two
// implementations chosen by what the attester can do (see attest/attester.ts):
//  - released-key: Key Vault releases the KEK to the enclave's runtime key, the enclave unwraps
//    key_hsm and keeps the KEK in memory to unwrap that party's content keys itself;
//  - azure-attest-skr: AzureAttestSKR releases and unwraps in one call; the KEK stays in the tool.
import type { KeyObject, X509Certificate } from "node:crypto";
import { decodeUnwrappedContentKey, unwrapContentKey, type CseProtocol } from "../../envelope/index.ts";
import type { Attester, WrappedContentKey } from "../attest/attester.ts";
import { KeyReleaseError, RuntimeError, errorMessage } from "../errors.ts";
import type { KeyExportEncryption } from "./key-hsm.ts";
import { parseKeyVaultKeyId, sameKeyVaultKey } from "../../protocol/index.ts";
import { releaseAndUnwrap, type KeyReleaseClient } from "./release.ts";

/** Length of a CSE v2 unwrapped value: 8-byte protocol prefix + 32-byte content key. */
export const CSE_UNWRAPPED_LENGTH = 40;

export interface ContentKeyToUnwrap extends WrappedContentKey {
  protocol: CseProtocol;
}

export interface ContentKeyUnwrapper {
  readonly party: string;
  readonly mechanism: "released-key" | "azure-attest-skr";
  /** The KEK id that was (or will be) released. */
  readonly keyId: string;
  /** Content keys (32 bytes) by id, after the protocol-prefix check. */
  unwrap(keys: ContentKeyToUnwrap[]): Promise<Map<string, Buffer>>;
}

export interface ObtainUnwrapperOptions {
  party: string;
  /** The party's KEK id from the contract (version optional). */
  kekKeyId: string;
  /** A versioned id of the same key, e.g. from the blobs' encryption metadata. */
  versionedKeyId?: string;
  attester: Attester;
  /** Flow (a): the attestation token presented to Key Vault. */
  token?: string;
  /** Flow (a): a client for the party's vault. */
  keyClient?: KeyReleaseClient;
  trustedRoots?: readonly (string | X509Certificate)[];
  algorithm?: KeyExportEncryption;
  /** Flow (b): client payload nonce for the tool's attestation. */
  nonce?: string;
  now?: Date;
}

export async function obtainUnwrapper(opts: ObtainUnwrapperOptions): Promise<ContentKeyUnwrapper> {
  const { attester, party } = opts;
  if (attester.unwrapReleasedKey) {
    if (!opts.keyClient || opts.token === undefined || !opts.trustedRoots) {
      throw new RuntimeError("INTERNAL", `party "${party}": releasing a key needs a key client, a token and trusted roots`, { step: "release", party });
    }
    const unwrapReleasedKey = attester.unwrapReleasedKey.bind(attester);
    const released = await releaseAndUnwrap({
      keyClient: opts.keyClient,
      keyId: opts.kekKeyId,
      token: opts.token,
      trustedRoots: opts.trustedRoots,
      unwrap: unwrapReleasedKey,
      party,
      ...(opts.algorithm ? { algorithm: opts.algorithm } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
    return new ReleasedKeyUnwrapper(party, released.kid, released.privateKey);
  }
  if (attester.unwrapContentKeys) {
    return new AttestSkrUnwrapper(party, pickVersionedKeyId(opts), attester, opts.nonce);
  }
  throw new RuntimeError("ATTESTER_UNSUPPORTED", `the ${attester.kind} attester can neither unwrap a released key nor unwrap content keys`, { step: "release", party });
}

function pickVersionedKeyId(opts: ObtainUnwrapperOptions): string {
  const contract = parseKeyVaultKeyId(opts.kekKeyId);
  if (contract.version !== undefined) return opts.kekKeyId;
  if (opts.versionedKeyId !== undefined) {
    const hinted = parseKeyVaultKeyId(opts.versionedKeyId);
    if (hinted.version !== undefined && sameKeyVaultKey(hinted, contract)) return opts.versionedKeyId;
  }
  throw new KeyReleaseError("KEY_RELEASE_FAILED", `party "${opts.party}": the contract's KEK id ${opts.kekKeyId} has no version and no dataset names one; AzureAttestSKR needs a versioned key URL`, {
    party: opts.party,
    vault: contract.vaultUrl,
  });
}

class ReleasedKeyUnwrapper implements ContentKeyUnwrapper {
  readonly mechanism = "released-key" as const;
  readonly party: string;
  readonly keyId: string;
  readonly #kek: KeyObject;

  constructor(party: string, keyId: string, kek: KeyObject) {
    this.party = party;
    this.keyId = keyId;
    this.#kek = kek;
  }

  async unwrap(keys: ContentKeyToUnwrap[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const k of keys) {
      try {
        out.set(k.id, unwrapContentKey(k.encryptedKey, { kek: this.#kek, algorithm: k.algorithm, protocol: k.protocol }));
      } catch (err) {
        throw new KeyReleaseError("KEY_UNWRAP_FAILED", `party "${this.party}", dataset "${k.id}": the content key does not unwrap with ${this.keyId}: ${errorMessage(err)}`, {
          step: "unwrap",
          party: this.party,
          dataset: k.id,
          cause: err,
        });
      }
    }
    return out;
  }
}

class AttestSkrUnwrapper implements ContentKeyUnwrapper {
  readonly mechanism = "azure-attest-skr" as const;
  readonly party: string;
  readonly keyId: string;
  readonly #attester: Attester;
  readonly #nonce: string | undefined;

  constructor(party: string, keyId: string, attester: Attester, nonce: string | undefined) {
    this.party = party;
    this.keyId = keyId;
    this.#attester = attester;
    this.#nonce = nonce;
  }

  async unwrap(keys: ContentKeyToUnwrap[]): Promise<Map<string, Buffer>> {
    let raw: Map<string, Buffer>;
    try {
      raw = await this.#attester.unwrapContentKeys!({
        keyId: this.keyId,
        keys,
        expectedLength: CSE_UNWRAPPED_LENGTH,
        ...(this.#nonce !== undefined ? { nonce: this.#nonce } : {}),
      });
    } catch (err) {
      if (err instanceof KeyReleaseError) {
        throw new KeyReleaseError(err.code as KeyReleaseErrorCode, `party "${this.party}": ${err.message}`, {
          step: err.step,
          party: this.party,
          ...(err.dataset !== undefined ? { dataset: err.dataset } : {}),
          cause: err,
        });
      }
      throw err;
    }
    const out = new Map<string, Buffer>();
    for (const k of keys) {
      const bytes = raw.get(k.id);
      try {
        if (!bytes) throw new Error("no unwrapped value returned");
        // Copy: the decoder may return a view into `bytes`, which is wiped below.
        out.set(k.id, Buffer.from(decodeUnwrappedContentKey(bytes, k.protocol)));
      } catch (err) {
        throw new KeyReleaseError("KEY_UNWRAP_FAILED", `party "${this.party}", dataset "${k.id}": ${errorMessage(err)}`, { step: "unwrap", party: this.party, dataset: k.id, cause: err });
      } finally {
        bytes?.fill(0);
      }
    }
    return out;
  }
}

type KeyReleaseErrorCode = ConstructorParameters<typeof KeyReleaseError>[0];

// The Attester adapter and the enclave's ephemeral keys.
//
// Two key-release flows must fit behind one interface:
//  (a) the runtime holds the unwrapping key: it puts an ephemeral RSA public key in the attestation
//      runtime data, Key Vault wraps the released key to it, and the runtime unwraps `key_hsm` itself
//      (SKR sidecar, local authority) -> `unwrapReleasedKey`.
//  (b) confidential-node mode: Microsoft's AzureAttestSKR attests, releases and unwraps in one call,
//      with the release wrapped to the vTPM-held TpmEphemeralEncryptionKey; the released key never
//      reaches this process -> `unwrapContentKeys` (batch, `-B`).
// The pipeline only asks "give me an unwrapper for party P's KEK" (keyrelease/unwrappers.ts), which
// picks (a) or (b) from what the attester offers.
//
// The receipt signing key is bound to the attestation either in the runtime data (`x-ms-runtime.keys`,
// flow a) or, when the runtime data belongs to the vTPM (flow b), through the client payload nonce
// (`x-ms-runtime.client-payload.nonce` = RFC 7638 thumbprint of the signing key).
import { generateKeyPairSync, type KeyObject, type JsonWebKey } from "node:crypto";
import { jwkThumbprint, type Claims, type IsolationMode } from "../../protocol/index.ts";
import type { KeyWrapAlgorithm } from "../../envelope/index.ts";
import { unwrapKeyHsm } from "../keyrelease/key-hsm.ts";
import type { AttesterKind, ReceiptKeyBinding } from "../../receipt/format.ts";

export interface RuntimeKeys {
  encryption: { publicJwk: JsonWebKey; kid: string };
  signing: { publicJwk: JsonWebKey; privateKey: KeyObject; kid: string };
}

export interface Attestation {
  token: string;
  claims: Claims;
}

/** How the receipt key is bound and which attester made the token are part of the receipt format. */
export type { AttesterKind, ReceiptKeyBinding } from "../../receipt/format.ts";

/** One wrapped content key to unwrap with a party's KEK. */
export interface WrappedContentKey {
  /** Caller-chosen label (the dataset name). */
  id: string;
  encryptedKey: Buffer;
  algorithm: KeyWrapAlgorithm;
}

export interface UnwrapContentKeysRequest {
  /** Key Vault key id of the KEK, with version. */
  keyId: string;
  keys: WrappedContentKey[];
  /** Bound into the attestation the tool performs (client payload). */
  nonce?: string;
  /** Length of every unwrapped value (40 for CSE v2: 8-byte protocol prefix + 32-byte CEK). */
  expectedLength: number;
}

export interface Attester {
  readonly kind: AttesterKind;
  readonly mode: IsolationMode;
  readonly keyBinding: ReceiptKeyBinding;
  /** Ephemeral receipt signing key (the private half never leaves the process). */
  readonly signing: RuntimeKeys["signing"];
  /** Ephemeral encryption key Key Vault wraps released keys to (flow a only). */
  readonly encryption?: RuntimeKeys["encryption"];
  /**
   * A token from the attestation authority. With binding "runtime-keys" the token's runtime data
   * carries `keys.encryption` (first, key_ops ["encrypt"]) and `keys.signing`; with
   * "client-payload-nonce" the nonce is placed in the client payload.
   */
  attest(opts: { nonce?: string }): Promise<Attestation>;
  /** Flow (a): unwrap Key Vault's `key_hsm` with the in-memory encryption key. */
  unwrapReleasedKey?(keyHsm: string): Promise<KeyObject>;
  /** Flow (b): release the KEK and unwrap many content keys in one tool call; raw unwrapped bytes by id. */
  unwrapContentKeys?(req: UnwrapContentKeysRequest): Promise<Map<string, Buffer>>;
}

export interface EphemeralKeyMaterial {
  keys: RuntimeKeys;
  /** Private half of the encryption key; never leaves the attester that created it. */
  encryptionPrivateKey: KeyObject;
}

export interface GenerateRuntimeKeysOptions {
  /** RSA modulus length of the encryption key (Key Vault wraps the released key to it). */
  rsaBits?: 2048 | 3072 | 4096;
}

/** A fresh EC P-256 receipt signing key with a kid (flow b needs only this one). */
export function generateSigningKey(): RuntimeKeys["signing"] {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const sigJwk = ec.publicKey.export({ format: "jwk" });
  const kid = `enclave-signing-${jwkThumbprint(sigJwk).slice(0, 16)}`;
  return { publicJwk: { ...sigJwk, kid, key_ops: ["verify"], alg: "ES256" } as JsonWebKey, privateKey: ec.privateKey, kid };
}

/** Fresh ephemeral keys: RSA-OAEP encryption key and EC P-256 receipt signing key, both with kids. */
export function generateRuntimeKeys(opts: GenerateRuntimeKeysOptions = {}): EphemeralKeyMaterial {
  const rsa = generateKeyPairSync("rsa", { modulusLength: opts.rsaBits ?? 3072, publicExponent: 0x10001 });
  const encJwk = rsa.publicKey.export({ format: "jwk" });
  const encKid = `enclave-encryption-${jwkThumbprint(encJwk).slice(0, 16)}`;
  return {
    keys: {
      encryption: { publicJwk: { ...encJwk, kid: encKid, key_ops: ["encrypt"], alg: "RSA-OAEP-256" } as JsonWebKey, kid: encKid },
      signing: generateSigningKey(),
    },
    encryptionPrivateKey: rsa.privateKey,
  };
}

/**
 * Base of the flow (a) attesters (SKR sidecar, local authority): their ephemeral keys live in this
 * process, bound through the runtime data, and the encryption key's private half unwraps Key Vault's
 * `key_hsm` without ever leaving the object. Subclasses differ only in where the token comes from.
 */
export class EphemeralKeyAttester {
  readonly keyBinding = "runtime-keys" as const;
  readonly keys: RuntimeKeys;
  readonly signing: RuntimeKeys["signing"];
  readonly encryption: RuntimeKeys["encryption"];
  readonly #encryptionPrivateKey: KeyObject;

  /** `material` when given (tests, key reuse), else fresh keys of `rsaBits`. */
  constructor(material: EphemeralKeyMaterial | undefined, generate: GenerateRuntimeKeysOptions = {}) {
    const keys = material ?? generateRuntimeKeys(generate);
    this.keys = keys.keys;
    this.signing = keys.keys.signing;
    this.encryption = keys.keys.encryption;
    this.#encryptionPrivateKey = keys.encryptionPrivateKey;
  }

  async unwrapReleasedKey(keyHsm: string): Promise<KeyObject> {
    return unwrapKeyHsm(keyHsm, this.#encryptionPrivateKey);
  }
}

/**
 * The runtime data JSON the enclave asks the authority to bind: the encryption key first (Key Vault
 * wraps a released key to the first key whose key_ops contain "encrypt"), then the signing key.
 */
export function runtimeDataFor(keys: RuntimeKeys, opts: { includeEncryptionKey?: boolean } = {}): { keys: JsonWebKey[] } {
  const list: JsonWebKey[] = [];
  if (opts.includeEncryptionKey !== false) list.push(keys.encryption.publicJwk);
  list.push(keys.signing.publicJwk);
  return { keys: list };
}

// The protocol's RFC 7638 thumbprint (the party-signer pin and the receipt-key nonce use it too).
export { jwkThumbprint };
export { receiptKeyNonce } from "../../receipt/key-binding.ts";

/**
 * Conversions between the way LatticeGuard keeps ML-DSA keys (the algorithm plus the 32-byte FIPS 204 seed,
 * or the raw public key) and what the X.509 and TLS libraries take: WebCrypto `CryptoKey`s for
 * @peculiar/x509, a PKCS#8 PEM for node:tls, a SubjectPublicKeyInfo from a CSR or certificate.
 *
 * All of it goes through node:crypto KeyObjects, synchronously: `createPrivateKey({ format: "raw-seed" })`,
 * then `keyObject.toCryptoKey(...)` (no async `subtle.importKey`). Private CryptoKeys are not extractable.
 *
 * @example
 * const keys = signingKeyPair({ algorithm: "ML-DSA-65", seed });
 * const pem = privateKeyPem({ algorithm: "ML-DSA-65", seed }); // for tls.createSecureContext({ key: pem })
 */
import * as nodeCrypto from "node:crypto";
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from "../api/algorithms.ts";
import { assertSignatureAlgorithm, assertSignatureBytes } from "./signature.ts";
import { nativeSignature } from "./signature-native.ts";

const KEY_TYPES = {
  "ML-DSA-44": "ml-dsa-44",
  "ML-DSA-65": "ml-dsa-65",
  "ML-DSA-87": "ml-dsa-87",
} as const satisfies Record<SignatureAlgorithm, string>;

/**
 * A private signing key as LatticeGuard stores it. Key material: never log it.
 *
 * @example
 * const key: SigningSeed = { algorithm: "ML-DSA-87", seed: nativeSignature.generateSeed("ML-DSA-87") };
 */
export interface SigningSeed {
  algorithm: SignatureAlgorithm;
  seed: Uint8Array;
}

/**
 * A public verification key: raw FIPS 204 encoding (as `SignatureBackend.publicKey` returns) and algorithm.
 *
 * @example
 * const key: VerificationKey = { algorithm: "ML-DSA-65", publicKey: backend.publicKey("ML-DSA-65", seed) };
 */
export interface VerificationKey {
  algorithm: SignatureAlgorithm;
  publicKey: Uint8Array;
}

/**
 * The WebCrypto key pair of a stored seed, for @peculiar/x509 (the private half can only sign; the public
 * half is extractable, which SubjectPublicKeyInfo and key identifiers need).
 *
 * @example
 * const { privateKey, publicKey } = signingKeyPair({ algorithm: "ML-DSA-87", seed });
 */
export function signingKeyPair(key: SigningSeed): nodeCrypto.webcrypto.CryptoKeyPair {
  const privateKey = privateKeyObject(key);
  const algorithm = { name: key.algorithm };
  return {
    privateKey: privateKey.toCryptoKey(algorithm, false, ["sign"]),
    publicKey: nodeCrypto.createPublicKey(privateKey).toCryptoKey(algorithm, true, ["verify"]),
  };
}

/**
 * The WebCrypto public key of a raw ML-DSA public key.
 *
 * @example
 * const cryptoKey = verificationCryptoKey({ algorithm: "ML-DSA-65", publicKey });
 */
export function verificationCryptoKey(key: VerificationKey): nodeCrypto.webcrypto.CryptoKey {
  assertSupported(key.algorithm);
  assertSignatureBytes(key.algorithm, "publicKey", key.publicKey);
  return nodeCrypto
    .createPublicKey({
      key: Buffer.from(key.publicKey),
      format: "raw-public",
      asymmetricKeyType: KEY_TYPES[key.algorithm],
    })
    .toCryptoKey({ name: key.algorithm }, true, ["verify"]);
}

/**
 * Checks a public key as {@link verificationCryptoKey} does (an ML-DSA parameter set node:crypto has, the
 * right length), without making a key of it: every byte string of that length is an ML-DSA public key.
 * Throws an Error naming `algorithm` or `publicKey`.
 *
 * @example
 * assertVerificationKey({ algorithm: "ML-DSA-65", publicKey }); // before putting it in a certificate
 */
export function assertVerificationKey(key: VerificationKey): void {
  assertSupported(key.algorithm);
  assertSignatureBytes(key.algorithm, "publicKey", key.publicKey);
}

/**
 * The private key as PKCS#8 PEM (OpenSSL 3.5 writes the RFC 9881 `both` form: seed and expanded key), which
 * is what node:tls's `key` option takes. Key material: never log it.
 *
 * @example
 * tls.createServer({ key: privateKeyPem({ algorithm: "ML-DSA-65", seed }), cert });
 */
export function privateKeyPem(key: SigningSeed): string {
  return privateKeyObject(key).export({ format: "pem", type: "pkcs8" }).toString();
}

/**
 * The ML-DSA key inside a DER SubjectPublicKeyInfo, or an Error naming `subjectPublicKeyInfo` when it holds
 * another kind of key (RSA, ECDSA, SLH-DSA, …) or does not parse.
 *
 * @example
 * verificationKeyFromSpki(new Uint8Array(csr.publicKey.rawData)).algorithm; // "ML-DSA-65"
 */
export function verificationKeyFromSpki(spki: Uint8Array): VerificationKey {
  let keyObject: nodeCrypto.KeyObject;
  try {
    keyObject = nodeCrypto.createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch (cause) {
    throw new RangeError("`subjectPublicKeyInfo` is not a valid public key", { cause });
  }
  const algorithm = keyObject.asymmetricKeyType?.toUpperCase();
  if (!(SIGNATURE_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    throw new RangeError(
      `\`subjectPublicKeyInfo\` must hold an ML-DSA key; it holds ${keyObject.asymmetricKeyType}`,
    );
  }
  assertSignatureAlgorithm(algorithm);
  return { algorithm, publicKey: new Uint8Array(keyObject.export({ format: "raw-public" })) };
}

function privateKeyObject(key: SigningSeed): nodeCrypto.KeyObject {
  assertSupported(key.algorithm);
  assertSignatureBytes(key.algorithm, "seed", key.seed);
  return nodeCrypto.createPrivateKey({
    key: Buffer.from(key.seed.buffer, key.seed.byteOffset, key.seed.byteLength),
    format: "raw-seed",
    asymmetricKeyType: KEY_TYPES[key.algorithm],
  });
}

// X.509 needs node:crypto's ML-DSA (WebCrypto has it exactly where node:crypto does).
function assertSupported(algorithm: SignatureAlgorithm): void {
  assertSignatureAlgorithm(algorithm, "algorithm");
  if (!nativeSignature.supports(algorithm)) {
    throw new RangeError(
      `\`algorithm\` ${algorithm} is not available from node:crypto in this runtime`,
    );
  }
}

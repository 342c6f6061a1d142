/**
 * PKCS#10 certificate requests signed with ML-DSA: the workload's proof that it holds the private key of the
 * public key it wants certified. The agent creates one from its stored seed; the issuance API verifies it
 * and takes only the public key from it. Names in a request (its subject, any requested extensions) are
 * ignored: the identity in the certificate comes from the verified service-account token, never from the
 * request.
 *
 * @example
 * const csrPem = await createCsr({ key: { algorithm: "ML-DSA-65", seed } });
 * const { algorithm, publicKey } = await verifyCsr(csrPem); // "ML-DSA-65", 1952 bytes
 */
import { SIGNATURE_ALGORITHMS } from "../api/algorithms.ts";
import { algorithmName, decodePem, WEBCRYPTO, withNewline, x509 } from "./x509-lib.ts";
import {
  signingKeyPair,
  verificationKeyFromSpki,
  type SigningSeed,
  type VerificationKey,
} from "./x509-keys.ts";

/**
 * What a certificate request is made from.
 *
 * @example
 * const options: CsrOptions = { key: { algorithm: "ML-DSA-65", seed } };
 */
export interface CsrOptions {
  /** The workload's key; the request carries its public half and is signed with it. */
  key: SigningSeed;
  /** An informational subject common name (the issuer ignores it); default none (an empty subject). */
  commonName?: string;
}

/**
 * What a verified request yields: the key to certify, and the subject it named (for logs, not trust).
 *
 * @example
 * const { algorithm, publicKey, subject }: VerifiedCsr = await verifyCsr(csrPem);
 */
export interface VerifiedCsr extends VerificationKey {
  subject: string;
}

/**
 * A PKCS#10 request for `key`, signed with it, PEM-encoded. Throws an Error naming the bad option.
 *
 * @example
 * const csrPem = await createCsr({ key: { algorithm: "ML-DSA-65", seed }, commonName: "search" });
 */
export async function createCsr(options: CsrOptions): Promise<string> {
  const { key, commonName } = options;
  if (typeof key !== "object" || key === null) throw new TypeError("`key` must be a SigningSeed");
  if (commonName !== undefined && (typeof commonName !== "string" || commonName.length > 64)) {
    throw new RangeError("`commonName` must be at most 64 characters");
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: commonName ? [{ CN: [commonName] }] : [],
      keys: signingKeyPair(key),
      signingAlgorithm: { name: key.algorithm },
    },
    WEBCRYPTO,
  );
  return withNewline(csr.toString("pem"));
}

/**
 * Verifies a PEM certificate request: exactly one `CERTIFICATE REQUEST` block, an ML-DSA public key, signed
 * with the same ML-DSA parameter set by that key. Anything else throws an Error naming `csr` that says what
 * is wrong; a signature that does not verify is refused as a missing proof of possession.
 *
 * @example
 * try {
 *   const { algorithm, publicKey } = await verifyCsr(request.body.csr);
 * } catch (error) {
 *   response.status(400).json({ message: (error as Error).message });
 * }
 */
export async function verifyCsr(pem: string): Promise<VerifiedCsr> {
  const der = decodePem(pem, "CERTIFICATE REQUEST", "csr");
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch (cause) {
    throw new RangeError("`csr` is not a valid PKCS#10 certificate request", { cause });
  }
  const signedWith = algorithmName(csr.signatureAlgorithm);
  if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(signedWith)) {
    throw new RangeError(`\`csr\` must be signed with ML-DSA; it is signed with ${signedWith}`);
  }
  let key: VerificationKey;
  try {
    key = verificationKeyFromSpki(new Uint8Array(csr.publicKey.rawData));
  } catch (cause) {
    throw new RangeError("`csr` must request a certificate for an ML-DSA key", { cause });
  }
  if (key.algorithm !== signedWith) {
    throw new RangeError(
      `\`csr\` holds an ${key.algorithm} key but is signed with ${signedWith}: it must be signed by its own key`,
    );
  }
  let valid: boolean;
  try {
    valid = await csr.verify(WEBCRYPTO);
  } catch (cause) {
    throw new RangeError("`csr` signature could not be verified", { cause });
  }
  if (!valid) {
    throw new RangeError(
      "`csr` signature does not verify: no proof of possession of the requested key",
    );
  }
  return { ...key, subject: csr.subject };
}

/**
 * PKCS#10 certificate requests signed with ML-DSA: the workload's proof that it holds the private key of the
 * public key it wants certified. The agent creates one from its stored seed; the issuance API verifies it
 * and takes only the public key from it. Names in a request (its subject, any requested extensions) are
 * ignored: the identity in the certificate comes from the verified service-account token, never from the
 * request.
 *
 * A request is read once, as @peculiar/asn1-csr's RFC 2986 structure, and its signature verified over the
 * bytes it came with: every issuance verifies one, and the library's request object encodes the key again
 * and imports it twice on the way.
 *
 * @example
 * const csrPem = await createCsr({ key: { algorithm: "ML-DSA-65", seed } });
 * const { algorithm, publicKey } = await verifyCsr(csrPem); // "ML-DSA-65", 1952 bytes
 */
import { SIGNATURE_ALGORITHMS } from "../api/algorithms.ts";
import {
  algorithmName,
  asn1Csr,
  type asn1X509,
  AsnConvert,
  decodePem,
  WEBCRYPTO,
  withNewline,
  x509,
} from "./x509-lib.ts";
import {
  assertVerificationKey,
  signingKeyPair,
  verificationCryptoKey,
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
  let request: asn1Csr.CertificationRequest;
  try {
    request = AsnConvert.parse(der, asn1Csr.CertificationRequest);
  } catch (cause) {
    throw new RangeError("`csr` is not a valid PKCS#10 certificate request", { cause });
  }
  const signedWith = algorithmName(ALGORITHMS.toWebAlgorithm(request.signatureAlgorithm));
  if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(signedWith)) {
    throw new RangeError(`\`csr\` must be signed with ML-DSA; it is signed with ${signedWith}`);
  }
  const info = request.certificationRequestInfo;
  let key: VerificationKey;
  try {
    key = mlDsaKey(info.subjectPKInfo);
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
    // The signed bytes as they came (never re-encoded); an ML-DSA signature is the BIT STRING's bits.
    const signed = request.certificationRequestInfoRaw ?? AsnConvert.serialize(info);
    const verifier = verificationCryptoKey(key);
    valid = await WEBCRYPTO.subtle.verify(
      { name: signedWith },
      verifier,
      request.signature,
      signed,
    );
  } catch (cause) {
    throw new RangeError("`csr` signature could not be verified", { cause });
  }
  if (!valid) {
    throw new RangeError(
      "`csr` signature does not verify: no proof of possession of the requested key",
    );
  }
  return { ...key, subject: new x509.Name(info.subject).toString() };
}

// Every signature algorithm @peculiar/x509 knows, to name the one a request was signed with.
const ALGORITHMS = new x509.AlgorithmProvider();

// The ML-DSA key of a SubjectPublicKeyInfo (RFC 9881: an ML-DSA OID without parameters, the raw key as
// the BIT STRING); an Error for anything else.
function mlDsaKey(spki: asn1X509.SubjectPublicKeyInfo): VerificationKey {
  const algorithm = algorithmName(ALGORITHMS.toWebAlgorithm(spki.algorithm));
  if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(algorithm))
    throw new RangeError(`the key is ${algorithm}`);
  // Absent parses as undefined; a NULL (as RSA keys carry) as null: both refused but absent.
  if (spki.algorithm.parameters !== undefined)
    throw new RangeError("an ML-DSA key's algorithm must have no parameters");
  const key = {
    algorithm: algorithm as VerificationKey["algorithm"],
    publicKey: new Uint8Array(spki.subjectPublicKey),
  };
  assertVerificationKey(key);
  return key;
}

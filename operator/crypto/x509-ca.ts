/**
 * The cluster trust anchor's certificate: a self-signed ML-DSA CA (RFC 9881) for one SPIFFE trust domain.
 * It carries the trust domain's SPIFFE ID (`spiffe://<trust-domain>`) as its URI SAN, as SPIRE's signing
 * certificates do, and `pathLenConstraint` 0: the anchor signs workload certificates directly, never another
 * CA. Anchors rotate with overlap, so two may share a subject; key identifiers tell them apart.
 *
 * @example
 * const caPem = await createCaCertificate({
 *   key: { algorithm: "ML-DSA-87", seed },
 *   trustDomain: "cluster.local",
 *   notBefore: now,
 *   notAfter: new Date(now.getTime() + 365 * 86_400_000),
 * });
 */
import { assertTrustDomain } from "./spiffe.ts";
import { assertValidity, randomSerialNumber, WEBCRYPTO, withNewline, x509 } from "./x509-lib.ts";
import { signingKeyPair, type SigningSeed } from "./x509-keys.ts";

/**
 * What a trust anchor certificate is made from.
 *
 * @example
 * const options: CaCertificateOptions = { key, trustDomain: "cluster.local", notBefore, notAfter };
 */
export interface CaCertificateOptions {
  /** The anchor's own key, which signs the certificate (it is self-signed). */
  key: SigningSeed;
  /** The SPIFFE trust domain the anchor vouches for, e.g. `cluster.local`. */
  trustDomain: string;
  notBefore: Date;
  notAfter: Date;
  /** The subject's common name; default `LatticeGuard trust anchor`. */
  commonName?: string;
}

/**
 * A self-signed ML-DSA CA certificate, PEM-encoded. Throws an Error naming the bad option (`key`,
 * `algorithm`, `seed`, `trustDomain`, `notBefore`, `notAfter`, `commonName`).
 *
 * @example
 * const caPem = await createCaCertificate({ key, trustDomain: "cluster.local", notBefore, notAfter });
 * new crypto.X509Certificate(caPem).ca; // true
 */
export async function createCaCertificate(options: CaCertificateOptions): Promise<string> {
  const {
    key,
    trustDomain,
    notBefore,
    notAfter,
    commonName = "LatticeGuard trust anchor",
  } = options;
  if (typeof key !== "object" || key === null) throw new TypeError("`key` must be a SigningSeed");
  assertTrustDomain(trustDomain);
  assertValidity(notBefore, notAfter);
  if (typeof commonName !== "string" || commonName.length < 1 || commonName.length > 64) {
    throw new RangeError("`commonName` must be 1-64 characters");
  }
  const keys = signingKeyPair(key);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerialNumber(),
      name: [{ CN: [commonName] }, { O: [trustDomain] }],
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: { name: key.algorithm },
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, WEBCRYPTO),
        new x509.SubjectAlternativeNameExtension([
          { type: "url", value: `spiffe://${trustDomain}` },
        ]),
      ],
    },
    WEBCRYPTO,
  );
  return withNewline(certificate.toString("pem"));
}

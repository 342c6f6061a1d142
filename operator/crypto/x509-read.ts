/**
 * Reading certificates that came from elsewhere (a Secret, a trust bundle, a peer): parse one PEM
 * certificate, check that one is an ML-DSA CA, and pull out its subject alternative names. Shared by
 * issuance (which must trust its own anchor's certificate no more than anyone else's) and verification.
 *
 * @example
 * const ca = parseCertificate(bundlePem, "caPems[0]");
 * assertMlDsaCa(ca, "caPems[0]");
 * subjectAltNames(ca).uris; // ["spiffe://cluster.local"]
 */
import { SIGNATURE_ALGORITHMS } from "../api/algorithms.ts";
import { algorithmName, decodePem, x509 } from "./x509-lib.ts";
import { verificationKeyFromSpki, type VerificationKey } from "./x509-keys.ts";

/**
 * The certificate in a PEM string holding exactly one `CERTIFICATE` block, or an Error naming `name`.
 *
 * @example
 * const leaf = parseCertificate(leafPem, "leaf");
 */
export function parseCertificate(pem: unknown, name: string): x509.X509Certificate {
  const der = decodePem(pem, "CERTIFICATE", name);
  try {
    return new x509.X509Certificate(der);
  } catch (cause) {
    throw new RangeError(`\`${name}\` is not a valid X.509 certificate`, { cause });
  }
}

/**
 * The ML-DSA key a certificate certifies, checking that the certificate is also signed with ML-DSA;
 * otherwise an Error naming `name`.
 *
 * @example
 * mlDsaKey(parseCertificate(leafPem, "leaf"), "leaf").algorithm; // "ML-DSA-65"
 */
export function mlDsaKey(certificate: x509.X509Certificate, name: string): VerificationKey {
  const signedWith = algorithmName(certificate.signatureAlgorithm);
  if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(signedWith)) {
    throw new RangeError(`\`${name}\` must be signed with ML-DSA; it is signed with ${signedWith}`);
  }
  try {
    return verificationKeyFromSpki(new Uint8Array(certificate.publicKey.rawData));
  } catch (cause) {
    throw new RangeError(`\`${name}\` must certify an ML-DSA key`, { cause });
  }
}

/**
 * Checks that a certificate is an ML-DSA certificate authority: basicConstraints `cA` and, where key usage
 * is present, `keyCertSign`; otherwise an Error naming `name`. Returns its key.
 *
 * @example
 * const { algorithm } = assertMlDsaCa(parseCertificate(caPem, "issuer.certificate"), "issuer.certificate");
 */
export function assertMlDsaCa(certificate: x509.X509Certificate, name: string): VerificationKey {
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) {
    throw new RangeError(`\`${name}\` is not a CA certificate (basicConstraints cA is not set)`);
  }
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  if (usage && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new RangeError(`\`${name}\` may not sign certificates (key usage lacks keyCertSign)`);
  }
  return mlDsaKey(certificate, name);
}

/**
 * The URI and DNS names of a certificate's subject alternative name extension (empty lists without one).
 *
 * @example
 * subjectAltNames(leaf); // { uris: ["spiffe://cluster.local/ns/mcp/sa/search"], dnsNames: ["search.mcp.svc"] }
 */
export function subjectAltNames(certificate: x509.X509Certificate): {
  uris: string[];
  dnsNames: string[];
} {
  const names = certificate.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  return {
    uris: names.filter((n) => n.type === "url").map((n) => n.value),
    dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value),
  };
}

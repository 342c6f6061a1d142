/**
 * What a certificate says, for the CBOM: subject, issuer, serial, validity, signature algorithm, the
 * subject key's type, SHA-256 fingerprint and names. Only certificates are read here, never a key; a PEM
 * file is searched for `CERTIFICATE` blocks alone, so a private key beside them is never even parsed.
 * Pure.
 *
 * @example
 * const [anchor] = describeCertificates(bundlePem, "trust bundle").certificates;
 * anchor.signatureAlgorithm; // "ML-DSA-87"
 */
import { X509Certificate, createHash } from "node:crypto";
import type { CertificateFacts } from "./inventory.ts";

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** `CN=a\nO=b` (node:crypto's form) as `CN=a, O=b`. */
const oneLine = (name: string | undefined) => (name ?? "").split("\n").filter(Boolean).join(", ");

function names(altNames: string | undefined): { uris: string[]; dnsNames: string[] } {
  const entries = (altNames ?? "").split(", ").filter(Boolean);
  const of = (prefix: string) =>
    entries.filter((e) => e.startsWith(prefix)).map((e) => e.slice(prefix.length));
  return { uris: of("URI:"), dnsNames: of("DNS:") };
}

/**
 * The facts of one PEM certificate; throws a RangeError naming `name` when it does not parse.
 *
 * @example
 * describeCertificate(servingPem, "tls.crt").publicKeyCurve; // "prime256v1"
 */
export function describeCertificate(pem: string, name: string): CertificateFacts {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (cause) {
    throw new RangeError(`\`${name}\` is not a valid X.509 certificate`, { cause });
  }
  const key = certificate.publicKey;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return {
    subject: oneLine(certificate.subject),
    issuer: oneLine(certificate.issuer),
    serialNumber: certificate.serialNumber,
    notBefore: certificate.validFromDate.toISOString(),
    notAfter: certificate.validToDate.toISOString(),
    signatureAlgorithm: certificate.signatureAlgorithm ?? "unknown",
    signatureAlgorithmOid: certificate.signatureAlgorithmOid,
    publicKeyType: key.asymmetricKeyType ?? "unknown",
    ...(curve && { publicKeyCurve: curve }),
    sha256: createHash("sha256").update(certificate.raw).digest("hex"),
    isCA: certificate.ca,
    ...names(certificate.subjectAltName),
  };
}

/**
 * Every certificate in a PEM text, in order, and a sentence for each block that does not parse (named
 * `name[i]`). Whatever else the text holds is ignored unread.
 *
 * @example
 * const { certificates, problems } = describeCertificates(bundle, "ConfigMap latticeguard-system/latticeguard-trust-bundle");
 */
export function describeCertificates(
  pem: string,
  name: string,
): { certificates: CertificateFacts[]; problems: string[] } {
  const certificates: CertificateFacts[] = [];
  const problems: string[] = [];
  [...pem.matchAll(CERTIFICATE_BLOCK)].forEach(([block], i) => {
    try {
      certificates.push(describeCertificate(block, `${name}[${i}]`));
    } catch (error) {
      problems.push(`${(error as Error).message}: left out`);
    }
  });
  return { certificates, problems };
}

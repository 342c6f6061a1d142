/**
 * Verifying a workload certificate against a trust bundle (every valid anchor, old and new, while anchors
 * rotate): the way the agent checks what it was issued before it uses it, and the way code outside TLS
 * checks a peer. TLS itself verifies chains in OpenSSL (node:tls `ca`); this is the same decision in
 * TypeScript, with errors that say which check failed.
 *
 * A leaf passes when an ML-DSA CA in the bundle, valid at `now`, with the leaf's issuer name, verifies its
 * signature; the leaf is valid at `now`, is not a CA, may sign (digitalSignature) and has exactly one URI SAN,
 * a workload SPIFFE ID.
 *
 * @example
 * const { spiffeId } = await verifyCertificate(leafPem, [caPem]);
 * // "spiffe://cluster.local/ns/mcp/sa/search"
 */
import { parseWorkloadSpiffeId } from "./spiffe.ts";
import { WEBCRYPTO, x509 } from "./x509-lib.ts";
import type { VerificationKey } from "./x509-keys.ts";
import { assertMlDsaCa, mlDsaKey, parseCertificate, subjectAltNames } from "./x509-read.ts";

/**
 * What a verified workload certificate says.
 *
 * @example
 * const { spiffeId, notAfter }: VerifiedCertificate = await verifyCertificate(leafPem, [caPem]);
 */
export interface VerifiedCertificate extends VerificationKey {
  spiffeId: string;
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  /** Hex, as @peculiar/x509 prints it. */
  serialNumber: string;
  /** The issuing anchor's subject, RFC 4514 form. */
  issuer: string;
}

/**
 * Verifies `leaf` (PEM) against the anchors in `caPems` at `now`; throws an Error naming `leaf` or
 * `caPems` that says which check failed.
 *
 * @example
 * await verifyCertificate(leafPem, bundle.split(/(?<=-----END CERTIFICATE-----\n)/), new Date());
 */
export async function verifyCertificate(
  leafPem: string,
  caPems: readonly string[],
  now: Date = new Date(),
): Promise<VerifiedCertificate> {
  const leaf = parseCertificate(leafPem, "leaf");
  const key = mlDsaKey(leaf, "leaf");
  const pems: readonly unknown[] = Array.isArray(caPems) ? caPems : [];
  if (pems.length === 0) throw new RangeError("`caPems` must list at least one CA certificate");
  const anchors = pems.map((pem, i) => parseCertificate(pem, `caPems[${i}]`));
  const issuer = await findIssuer(leaf, anchors, now);
  if (now < leaf.notBefore)
    throw new RangeError(`\`leaf\` is not valid before ${iso(leaf.notBefore)}`);
  if (now > leaf.notAfter) throw new RangeError(`\`leaf\` expired at ${iso(leaf.notAfter)}`);
  if (leaf.getExtension(x509.BasicConstraintsExtension)?.ca) {
    throw new RangeError("`leaf` is a CA certificate, not a workload certificate");
  }
  const usage = leaf.getExtension(x509.KeyUsagesExtension);
  if (!usage || (usage.usages & x509.KeyUsageFlags.digitalSignature) === 0) {
    throw new RangeError("`leaf` key usage must include digitalSignature");
  }
  const { uris, dnsNames } = subjectAltNames(leaf);
  if (uris.length !== 1) {
    throw new RangeError(`\`leaf\` must have exactly one URI SAN; it has ${uris.length}`);
  }
  const spiffeId = uris[0]!;
  try {
    parseWorkloadSpiffeId(spiffeId);
  } catch (cause) {
    throw new RangeError("`leaf` URI SAN is not a workload SPIFFE ID", { cause });
  }
  return {
    ...key,
    spiffeId,
    dnsNames,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    serialNumber: leaf.serialNumber,
    issuer: issuer.subject,
  };
}

// The anchor that signed `leaf`. Anchors are checked (CA, ML-DSA, valid now) only once they match by name,
// so an unrelated certificate in the bundle never fails a verification it plays no part in.
async function findIssuer(
  leaf: x509.X509Certificate,
  anchors: readonly x509.X509Certificate[],
  now: Date,
): Promise<x509.X509Certificate> {
  const named = anchors.filter((anchor) => anchor.subject === leaf.issuer);
  for (const anchor of named) {
    const signed = await leaf
      .verify({ publicKey: anchor.publicKey, signatureOnly: true }, WEBCRYPTO)
      .catch(() => false);
    if (!signed) continue;
    const name = `caPems[${anchors.indexOf(anchor)}]`;
    assertMlDsaCa(anchor, name);
    if (now < anchor.notBefore || now > anchor.notAfter) {
      const window = `${iso(anchor.notBefore)} to ${iso(anchor.notAfter)}`;
      throw new RangeError(`\`${name}\`, the issuer of \`leaf\`, is valid only from ${window}`);
    }
    return anchor;
  }
  const matches = `${named.length} of ${anchors.length} with that name`;
  throw new RangeError(
    `\`leaf\` is not signed by any CA in \`caPems\` (issuer ${leaf.issuer || "empty"}; ${matches})`,
  );
}

function iso(date: Date): string {
  return date.toISOString();
}

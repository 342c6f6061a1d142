/**
 * Workload certificates (X.509-SVIDs with ML-DSA keys, RFC 9881): the trust anchor signs a workload's
 * verified public key with its SPIFFE ID as the one URI SAN, the MCP server's Service names as DNS SANs,
 * and the profile mutual TLS needs: key usage digitalSignature, extended key usage serverAuth and
 * clientAuth, basicConstraints cA false, authority and subject key identifiers, a random serial. The subject
 * is empty (the SPIFFE ID is the identity), so the SAN extension is critical, as RFC 5280 requires.
 *
 * Before signing, the issuer's certificate is checked like any other (an ML-DSA CA) and must belong to the
 * issuer's key; the leaf must fit inside the issuer's validity and trust domain.
 *
 * @example
 * const leafPem = await issueCertificate({
 *   issuer: { certificate: caPem, key: { algorithm: "ML-DSA-87", seed: caSeed } },
 *   subjectKey: await verifyCsr(csrPem),
 *   spiffeId: "spiffe://cluster.local/ns/mcp/sa/search",
 *   dnsNames: ["search.mcp.svc"],
 *   notBefore: now,
 *   notAfter: new Date(now.getTime() + 3_600_000),
 * });
 */
import { parseWorkloadSpiffeId } from "./spiffe.ts";
import { nativeSignature } from "./signature-native.ts";
import { assertValidity, randomSerialNumber, WEBCRYPTO, withNewline, x509 } from "./x509-lib.ts";
import {
  signingKeyPair,
  verificationCryptoKey,
  type SigningSeed,
  type VerificationKey,
} from "./x509-keys.ts";
import { assertMlDsaCa, parseCertificate, subjectAltNames } from "./x509-read.ts";

/**
 * What a workload certificate is made from.
 *
 * @example
 * const options: IssueOptions = { issuer, subjectKey, spiffeId, dnsNames: ["search.mcp.svc"], notBefore, notAfter };
 */
export interface IssueOptions {
  /** The signing CA: its PEM certificate and its key. */
  issuer: { certificate: string; key: SigningSeed };
  /** The key to certify, as `verifyCsr` returns it. */
  subjectKey: VerificationKey;
  /** `spiffe://<trust-domain>/ns/<namespace>/sa/<serviceaccount>`, in the issuer's trust domain. */
  spiffeId: string;
  /** DNS names the workload serves (its Services); lowercase RFC 1123 names. */
  dnsNames?: readonly string[];
  notBefore: Date;
  notAfter: Date;
}

const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/**
 * A workload certificate signed by `issuer`, PEM-encoded. Throws an Error naming the bad option
 * (`issuer.certificate`, `issuer.key`, `subjectKey`, `spiffeId`, `dnsNames`, `notBefore`, `notAfter`).
 *
 * @example
 * const leafPem = await issueCertificate({ issuer, subjectKey, spiffeId, dnsNames: [], notBefore, notAfter });
 */
export async function issueCertificate(options: IssueOptions): Promise<string> {
  const { issuer, subjectKey, spiffeId, dnsNames = [], notBefore, notAfter } = options;
  const ca = parseCertificate(issuer?.certificate, "issuer.certificate");
  const caKey = assertMlDsaCa(ca, "issuer.certificate");
  const key = issuer.key;
  if (
    key?.algorithm !== caKey.algorithm ||
    !equal(nativeSignature.publicKey(key.algorithm, key.seed), caKey.publicKey)
  ) {
    throw new RangeError("`issuer.key` is not the key of `issuer.certificate`");
  }
  const publicKey = verificationCryptoKey(subjectKey);
  checkNames(ca, spiffeId, dnsNames);
  assertValidity(notBefore, notAfter);
  if (notBefore.getTime() < ca.notBefore.getTime() || notAfter.getTime() > ca.notAfter.getTime()) {
    const window = `${ca.notBefore.toISOString()} to ${ca.notAfter.toISOString()}`;
    throw new RangeError(
      `\`notBefore\` and \`notAfter\` must lie within the issuer's validity (${window})`,
    );
  }
  const caKeyId = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      subject: [],
      issuer: ca.subjectName,
      notBefore,
      notAfter,
      publicKey,
      signingKey: signingKeyPair(key).privateKey,
      signingAlgorithm: { name: key.algorithm },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(
          [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
          false,
        ),
        new x509.SubjectAlternativeNameExtension(
          [
            { type: "url", value: spiffeId },
            ...dnsNames.map((value) => ({ type: "dns" as const, value })),
          ],
          true,
        ),
        caKeyId === undefined
          ? await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey, false, WEBCRYPTO)
          : new x509.AuthorityKeyIdentifierExtension(caKeyId, false),
        await x509.SubjectKeyIdentifierExtension.create(publicKey, false, WEBCRYPTO),
      ],
    },
    WEBCRYPTO,
  );
  return withNewline(certificate.toString("pem"));
}

// The SPIFFE ID must be a workload ID in the issuer's trust domain (when the issuer names one).
function checkNames(ca: x509.X509Certificate, spiffeId: string, dnsNames: unknown): void {
  const { trustDomain } = parseWorkloadSpiffeId(spiffeId);
  const caDomains = subjectAltNames(ca).uris.filter((uri) => uri.startsWith("spiffe://"));
  if (caDomains.length > 0 && !caDomains.includes(`spiffe://${trustDomain}`)) {
    throw new RangeError(
      `\`spiffeId\` must be in the issuer's trust domain (${caDomains.join(", ")})`,
    );
  }
  const names: unknown[] = Array.isArray(dnsNames) ? dnsNames : [null];
  if (!names.every((name) => typeof name === "string" && DNS_NAME.test(name))) {
    throw new RangeError("`dnsNames` must be lowercase RFC 1123 DNS names");
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

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
 * What depends only on the issuer (its parsed and checked certificate, its signing key, the authority key
 * identifier) is worked out once per issuer certificate and key, not per leaf: parsing an ML-DSA-87 CA
 * and growing its key from the seed cost more than the rest of an issuance together. The leaf is built
 * from @peculiar/asn1-x509's RFC 5280 structures, encoded once to be signed (through WebCrypto) and once
 * with its signature, where @peculiar/x509's generator encodes each extension, parses it back, and
 * parses the finished certificate again: together most of an issuance's time besides the signature. The
 * subject key identifier is RFC 5280's method 1 (SHA-1 of the public key bits). The unit tests check
 * that the result is what the generator makes from the same input, byte for byte but the serial and the
 * signature.
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
import { createHash } from "node:crypto";
import type { webcrypto } from "node:crypto";
import type { SignatureAlgorithm } from "../api/algorithms.ts";
import { parseWorkloadSpiffeId } from "./spiffe.ts";
import { nativeSignature } from "./signature-native.ts";
import {
  asn1X509,
  AsnConvert,
  assertValidity,
  OctetString,
  pemEncode,
  randomSerialNumber,
  WEBCRYPTO,
  x509,
} from "./x509-lib.ts";
import {
  signingKeyPair,
  assertVerificationKey,
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

/** What issuing under one CA needs that depends only on the CA: checked once, then reused. */
interface PreparedIssuer {
  algorithm: SigningSeed["algorithm"];
  /** SHA-256 of the seed: which key this was prepared for, without keeping a copy of it. */
  seedDigest: string;
  name: asn1X509.Name;
  /** The leaf's signature algorithm: the CA key's. */
  signatureAlgorithm: asn1X509.AlgorithmIdentifier;
  notBefore: Date;
  notAfter: Date;
  /** The trust domains the CA names (`spiffe://<domain>` URI SANs); empty: any. */
  domains: string[];
  signingKey: webcrypto.CryptoKey;
  authorityKeyId: asn1X509.Extension;
}

const seedDigest = (key: SigningSeed) => createHash("sha256").update(key.seed).digest("hex");
// RFC 5280 4.2.1.2 method 1: the SHA-1 of the subjectPublicKey BIT STRING's bits (the raw key).
const keyIdentifier = (publicKey: Uint8Array) => createHash("sha1").update(publicKey).digest();

/** Issuers prepared so far, by certificate PEM; a handful at most (the anchors that overlap). */
const prepared = new Map<string, PreparedIssuer>();
const MAX_PREPARED = 8;

// The AlgorithmIdentifier of an ML-DSA key and of its signatures (RFC 9881: one OID, no parameters),
// as @peculiar/x509 names them.
const ML_DSA = new x509.MlDsaAlgorithm();
function algorithmIdentifier(algorithm: SignatureAlgorithm): asn1X509.AlgorithmIdentifier {
  const identifier = ML_DSA.toAsnAlgorithm({ name: algorithm });
  if (!identifier) throw new RangeError(`\`algorithm\` ${algorithm} has no X.509 identifier`);
  return identifier;
}

function extension(extnID: string, critical: boolean, value: unknown): asn1X509.Extension {
  const extnValue = new OctetString(AsnConvert.serialize(value));
  return new asn1X509.Extension({ extnID, critical, extnValue });
}

// The issuer's certificate and key, checked and turned into what signing needs; remembered per
// certificate and key, so a key that does not match its certificate is refused every time.
function prepareIssuer(issuer: IssueOptions["issuer"]): PreparedIssuer {
  const key = issuer?.key;
  const known = typeof issuer?.certificate === "string" && prepared.get(issuer.certificate);
  if (known && key?.algorithm === known.algorithm && seedDigest(key) === known.seedDigest)
    return known;
  const ca = parseCertificate(issuer?.certificate, "issuer.certificate");
  const caKey = assertMlDsaCa(ca, "issuer.certificate");
  if (
    key?.algorithm !== caKey.algorithm ||
    !equal(nativeSignature.publicKey(key.algorithm, key.seed), caKey.publicKey)
  ) {
    throw new RangeError("`issuer.key` is not the key of `issuer.certificate`");
  }
  const caKeyId = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const { subject } = AsnConvert.parse(ca.rawData, asn1X509.Certificate).tbsCertificate;
  const ready: PreparedIssuer = {
    algorithm: key.algorithm,
    seedDigest: seedDigest(key),
    name: subject,
    signatureAlgorithm: algorithmIdentifier(key.algorithm),
    notBefore: ca.notBefore,
    notAfter: ca.notAfter,
    domains: subjectAltNames(ca).uris.filter((uri) => uri.startsWith("spiffe://")),
    signingKey: signingKeyPair(key).privateKey,
    authorityKeyId: extension(
      asn1X509.id_ce_authorityKeyIdentifier,
      false,
      new asn1X509.AuthorityKeyIdentifier({
        keyIdentifier: new asn1X509.KeyIdentifier(
          caKeyId === undefined ? keyIdentifier(caKey.publicKey) : Buffer.from(caKeyId, "hex"),
        ),
      }),
    ),
  };
  if (prepared.size >= MAX_PREPARED) prepared.clear();
  prepared.set(issuer.certificate, ready);
  return ready;
}

// The leaf profile's fixed extensions, the same in every workload certificate.
const LEAF_EXTENSIONS = [
  extension(asn1X509.id_ce_basicConstraints, true, new asn1X509.BasicConstraints({ cA: false })),
  extension(
    asn1X509.id_ce_keyUsage,
    true,
    new asn1X509.KeyUsage(asn1X509.KeyUsageFlags.digitalSignature),
  ),
  extension(
    asn1X509.id_ce_extKeyUsage,
    false,
    new asn1X509.ExtendedKeyUsage([asn1X509.id_kp_serverAuth, asn1X509.id_kp_clientAuth]),
  ),
];

/**
 * A workload certificate signed by `issuer`, PEM-encoded. Throws an Error naming the bad option
 * (`issuer.certificate`, `issuer.key`, `subjectKey`, `spiffeId`, `dnsNames`, `notBefore`, `notAfter`).
 *
 * @example
 * const leafPem = await issueCertificate({ issuer, subjectKey, spiffeId, dnsNames: [], notBefore, notAfter });
 */
export async function issueCertificate(options: IssueOptions): Promise<string> {
  const { issuer, subjectKey, spiffeId, dnsNames = [], notBefore, notAfter } = options;
  const ca = prepareIssuer(issuer);
  assertVerificationKey(subjectKey);
  checkNames(ca.domains, spiffeId, dnsNames);
  assertValidity(notBefore, notAfter);
  if (notBefore.getTime() < ca.notBefore.getTime() || notAfter.getTime() > ca.notAfter.getTime()) {
    const window = `${ca.notBefore.toISOString()} to ${ca.notAfter.toISOString()}`;
    throw new RangeError(
      `\`notBefore\` and \`notAfter\` must lie within the issuer's validity (${window})`,
    );
  }
  const names = [
    new asn1X509.GeneralName({ uniformResourceIdentifier: spiffeId }),
    ...dnsNames.map((dNSName) => new asn1X509.GeneralName({ dNSName })),
  ];
  const tbsCertificate = new asn1X509.TBSCertificate({
    version: asn1X509.Version.v3,
    serialNumber: new Uint8Array(Buffer.from(randomSerialNumber(), "hex")).buffer,
    signature: ca.signatureAlgorithm,
    issuer: ca.name,
    validity: new asn1X509.Validity({ notBefore, notAfter }),
    subject: new asn1X509.Name(),
    subjectPublicKeyInfo: new asn1X509.SubjectPublicKeyInfo({
      algorithm: algorithmIdentifier(subjectKey.algorithm),
      subjectPublicKey: new Uint8Array(subjectKey.publicKey).buffer,
    }),
    extensions: new asn1X509.Extensions([
      ...LEAF_EXTENSIONS,
      extension(asn1X509.id_ce_subjectAltName, true, new asn1X509.SubjectAlternativeName(names)),
      ca.authorityKeyId,
      extension(
        asn1X509.id_ce_subjectKeyIdentifier,
        false,
        new asn1X509.SubjectKeyIdentifier(keyIdentifier(subjectKey.publicKey)),
      ),
    ]),
  });
  const signatureValue = await WEBCRYPTO.subtle.sign(
    { name: ca.algorithm },
    ca.signingKey,
    AsnConvert.serialize(tbsCertificate),
  );
  const certificate = new asn1X509.Certificate({
    tbsCertificate,
    signatureAlgorithm: ca.signatureAlgorithm,
    signatureValue,
  });
  return pemEncode(AsnConvert.serialize(certificate), "CERTIFICATE");
}

// The SPIFFE ID must be a workload ID in the issuer's trust domain (when the issuer names one).
function checkNames(caDomains: readonly string[], spiffeId: string, dnsNames: unknown): void {
  const { trustDomain } = parseWorkloadSpiffeId(spiffeId);
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

/**
 * The webhook's certificates: an ECDSA P-256 CA and a serving certificate it signs, made with WebCrypto
 * and @peculiar/x509 (no hand-written ASN.1). ECDSA rather than ML-DSA because the API server's Go TLS
 * client, which calls the webhook, verifies ECDSA but not ML-DSA certificate chains yet; the key exchange
 * is post-quantum regardless (server.ts offers X25519MLKEM768). Certificates are read back with
 * node:crypto's X509Certificate, which also checks which CA signed a serving certificate.
 *
 * @example
 * const ca = await createCA(new Date(), 365 * DAY_MS);
 * const serving = await issueServing(ca, { dns: ["latticeguard-webhook.latticeguard-system.svc"], ips: ["127.0.0.1"] }, new Date(), 90 * DAY_MS);
 */
import {
  X509Certificate as NodeX509,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  webcrypto,
} from "node:crypto";
// tsyringe, which @peculiar/x509 uses, needs the Reflect metadata API loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { PemPair } from "./server.ts";

/**
 * One day, in milliseconds.
 *
 * @example
 * createCA(new Date(), 365 * DAY_MS);
 */
export const DAY_MS = 86_400_000;

/**
 * Certificates start this long before they are made, so clocks a little behind still accept them.
 *
 * @example
 * certFacts(ca.cert).notBefore === madeAt - BACKDATE_MS; // true
 */
export const BACKDATE_MS = 5 * 60_000;

// A certificate and its private key, both PEM (the key PKCS#8); shared with every TLS server.
export type { PemPair };

/**
 * The names a serving certificate is valid for.
 *
 * @example
 * const hosts: Hosts = { dns: ["latticeguard-webhook.latticeguard-system.svc"], ips: ["127.0.0.1"] };
 */
export interface Hosts {
  dns: string[];
  ips: string[];
}

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING = { name: "ECDSA", hash: "SHA-256" };
// x509 signs and hashes through its default provider, which is Node's global WebCrypto.
const { subtle } = webcrypto;

const withNewline = (pem: string) => (pem.endsWith("\n") ? pem : `${pem}\n`);

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // a positive INTEGER
  return bytes.toString("hex");
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  const keys = await subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
  return keys;
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

/**
 * A new self-signed CA, valid from `now` (minus {@link BACKDATE_MS}) for `validityMs`.
 *
 * @example
 * const ca = await createCA(new Date(), 365 * DAY_MS);
 */
export async function createCA(
  now: Date,
  validityMs: number,
  commonName = "latticeguard-webhook-ca",
): Promise<PemPair> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + validityMs),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false),
    ],
  });
  return {
    cert: withNewline(cert.toString("pem")),
    key: withNewline(await pkcs8Pem(keys.privateKey)),
  };
}

/**
 * A serving certificate for `hosts`, signed by `ca`; it never outlives the CA.
 *
 * @example
 * const serving = await issueServing(ca, { dns: ["webhook.ns.svc"], ips: [] }, new Date(), 90 * DAY_MS);
 */
export async function issueServing(
  ca: PemPair,
  hosts: Hosts,
  now: Date,
  validityMs: number,
): Promise<PemPair> {
  if (hosts.dns.length + hosts.ips.length === 0)
    throw new TypeError("`hosts` must name at least one DNS name or IP address");
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(ca.key),
    KEY_ALGORITHM,
    false,
    ["sign"],
  );
  const keys = await newKeys();
  const notAfter = Math.min(now.getTime() + validityMs, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${hosts.dns[0] ?? hosts.ips[0]}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...hosts.dns.map((value) => ({ type: "dns" as const, value })),
        ...hosts.ips.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  return {
    cert: withNewline(cert.toString("pem")),
    key: withNewline(await pkcs8Pem(keys.privateKey)),
  };
}

/**
 * What rotation decisions read from a certificate.
 *
 * @example
 * const facts: CertFacts = certFacts(pem);
 */
export interface CertFacts {
  notBefore: number;
  notAfter: number;
  fingerprint: string;
  dns: string[];
  ips: string[];
}

/**
 * The facts of a PEM certificate (the first in the text); throws on anything unparsable.
 *
 * @example
 * certFacts(serving.cert).dns; // ["webhook.ns.svc"]
 */
export function certFacts(pem: string): CertFacts {
  const cert = new NodeX509(pem);
  const names = (cert.subjectAltName ?? "").split(", ").filter(Boolean);
  return {
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    fingerprint: cert.fingerprint256,
    dns: names.filter((n) => n.startsWith("DNS:")).map((n) => n.slice(4)),
    ips: names.filter((n) => n.startsWith("IP Address:")).map((n) => n.slice(11)),
  };
}

/**
 * Whether `certPem` was signed by the CA `caPem` (its signature verifies with the CA's key).
 *
 * @example
 * signedBy(serving.cert, ca.cert); // true
 */
export function signedBy(certPem: string, caPem: string): boolean {
  const cert = new NodeX509(certPem);
  const ca = new NodeX509(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/**
 * The PEM certificates in a bundle, in order, each ending in a newline (so joining them makes a bundle).
 *
 * @example
 * splitPem(bundle).length; // 2 during a CA rotation
 */
export function splitPem(bundle: string): string[] {
  const pems = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return pems.map((pem) => `${pem}\n`);
}

/**
 * Whether the private key of `pair` belongs to its certificate (a TLS server would refuse the pair).
 * Throws when either does not parse.
 *
 * @example
 * keyMatchesCert(serving); // true
 */
export function keyMatchesCert(pair: PemPair): boolean {
  const spki = { type: "spki", format: "der" } as const;
  const fromKey = createPublicKey(createPrivateKey(pair.key)).export(spki);
  return fromKey.equals(new NodeX509(pair.cert).publicKey.export(spki));
}

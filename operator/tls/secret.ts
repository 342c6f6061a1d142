/**
 * The webhook's certificates as a Secret's data, shared by every replica: `ca.crt` and `ca.key` (the
 * current CA), `ca-bundle.crt` (every CA the API server should trust: the current one first, the previous
 * one during a rotation), `tls.crt` and `tls.key` (the serving certificate, as a `kubernetes.io/tls`
 * Secret names them). Decoding checks that everything parses and that each key belongs to its
 * certificate; anything less reads as "no certificates" and is replaced. Pure.
 *
 * @example
 * const stored = decodeCertificates(secret.data);
 * if (stored) planCertificates(factsOf(stored), Date.now(), settings);
 */
import { certFacts, keyMatchesCert, signedBy, splitPem, type PemPair } from "./certs.ts";
import type { StoredFacts } from "./rotation.ts";

/**
 * The entries of the Secret.
 *
 * @example
 * secret.data[SECRET_KEYS.bundle]; // base64 of the PEM bundle
 */
export const SECRET_KEYS = {
  caCert: "ca.crt",
  caKey: "ca.key",
  bundle: "ca-bundle.crt",
  cert: "tls.crt",
  key: "tls.key",
} as const;

/**
 * The certificates in the Secret.
 *
 * @example
 * const stored: StoredCertificates = { ca, bundle: [ca.cert], serving };
 */
export interface StoredCertificates {
  ca: PemPair;
  /** Every trusted CA, PEM, the current one first. */
  bundle: string[];
  serving: PemPair;
}

/**
 * The certificates in `data` (a Secret's base64 data), or undefined when any part is missing or broken.
 *
 * @example
 * decodeCertificates(undefined); // undefined
 */
export function decodeCertificates(
  data: Readonly<Record<string, string>> | undefined,
): StoredCertificates | undefined {
  const text = (key: string) => {
    const value = data?.[key];
    return value ? Buffer.from(value, "base64").toString("utf8") : undefined;
  };
  const [caCert, caKey, bundle, cert, key] = Object.values(SECRET_KEYS).map(text);
  if (!caCert || !caKey || !cert || !key) return undefined;
  try {
    const stored = {
      ca: { cert: caCert, key: caKey },
      bundle: splitPem(`${caCert}\n${bundle ?? ""}`),
      serving: { cert, key },
    };
    if (!keyMatchesCert(stored.ca) || !keyMatchesCert(stored.serving)) return undefined;
    const seen = new Set<string>();
    stored.bundle = stored.bundle.filter((pem) => {
      const fingerprint = certFacts(pem).fingerprint;
      return !seen.has(fingerprint) && seen.add(fingerprint);
    });
    return stored;
  } catch {
    return undefined;
  }
}

/**
 * The Secret data for `stored`, base64.
 *
 * @example
 * await core.replaceNamespacedSecret({ name, namespace, body: { ...secret, data: encodeCertificates(stored) } });
 */
export function encodeCertificates(stored: StoredCertificates): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  return {
    [SECRET_KEYS.caCert]: b64(stored.ca.cert),
    [SECRET_KEYS.caKey]: b64(stored.ca.key),
    [SECRET_KEYS.bundle]: b64(stored.bundle.join("")),
    [SECRET_KEYS.cert]: b64(stored.serving.cert),
    [SECRET_KEYS.key]: b64(stored.serving.key),
  };
}

/**
 * The facts rotation decides on.
 *
 * @example
 * factsOf(stored).serving.signedByCurrentCA; // true
 */
export function factsOf(stored: StoredCertificates): StoredFacts {
  return {
    ca: certFacts(stored.ca.cert),
    bundle: stored.bundle.map(certFacts),
    serving: {
      ...certFacts(stored.serving.cert),
      signedByCurrentCA: signedBy(stored.serving.cert, stored.ca.cert),
    },
  };
}

/**
 * The one door to `@peculiar/x509` for the X.509 modules here: it loads `reflect-metadata`, which the
 * library's dependency tsyringe needs, before the library itself (import order is evaluation order); it
 * names the WebCrypto provider every call is given explicitly (the library's global `cryptoProvider` is
 * left alone); and it holds the small helpers the certificate modules share.
 *
 * It also opens the library's own ASN.1 layer, `@peculiar/asn1-x509` and `@peculiar/asn1-csr` (the RFC
 * 5280 and RFC 2986 structures as classes) and `@peculiar/asn1-schema` (their DER encoding), for the one
 * path that must be fast: issuance. x509-issue.ts builds certificates from the structures directly, where
 * the library's generator encodes and parses every extension and the finished certificate once more, and
 * x509-csr.ts reads a request's structure once, where the library's request object encodes its key again
 * and imports it twice to verify it.
 *
 * @peculiar/x509 2.2 knows ML-DSA (RFC 9881 / FIPS 204 OIDs, AlgorithmIdentifier without parameters) and
 * signs and verifies through WebCrypto, which has ML-DSA-44/65/87 since Node 24.7. Node prints one
 * `ExperimentalWarning` per ML-DSA parameter set the first time WebCrypto signs or verifies with it.
 *
 * @example
 * import { WEBCRYPTO, x509 } from "./x509-lib.ts";
 * await new x509.X509Certificate(pem).verify({ signatureOnly: true }, WEBCRYPTO);
 */
import "reflect-metadata";
import * as asn1Csr from "@peculiar/asn1-csr";
import * as asn1X509 from "@peculiar/asn1-x509";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";

export { asn1Csr, asn1X509, AsnConvert, OctetString, x509 };

/**
 * Node's WebCrypto, passed to every @peculiar/x509 call as its `crypto` argument.
 *
 * @example
 * await csr.verify(WEBCRYPTO);
 */
export const WEBCRYPTO: webcrypto.Crypto = webcrypto;

/**
 * A fresh random certificate serial number as hex: 16 random bytes (126 bits of entropy, more than the
 * 64 CA/Browser Forum asks for), the first byte in 0x40–0x7f so the DER INTEGER is positive, minimal and
 * always 16 bytes.
 *
 * @example
 * randomSerialNumber(); // "5f3a…" (32 hex digits)
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString("hex");
}

/**
 * A PEM string ending in a newline, as files and Kubernetes Secrets conventionally hold them
 * (@peculiar/x509 omits the final one).
 *
 * @example
 * withNewline(certificate.toString("pem")).endsWith("-----END CERTIFICATE-----\n"); // true
 */
export function withNewline(pem: string): string {
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}

/**
 * DER as a PEM block labelled `label` (RFC 7468: 64 characters a line), ending in a newline: what
 * `x509.PemConverter.encode` writes, through Node's own base64 (several times faster than the library's
 * for a 7 KiB ML-DSA certificate).
 *
 * @example
 * pemEncode(der, "CERTIFICATE"); // "-----BEGIN CERTIFICATE-----\nMIIb…\n-----END CERTIFICATE-----\n"
 */
export function pemEncode(der: ArrayBuffer | Uint8Array, label: string): string {
  const base64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString(
    "base64",
  );
  let body = "";
  for (let i = 0; i < base64.length; i += 64) body += `${base64.slice(i, i + 64)}\n`;
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/**
 * Checks a validity window: both ends real dates, `notBefore` strictly before `notAfter`; otherwise an
 * Error naming the bad one.
 *
 * @example
 * assertValidity(new Date("2026-01-01"), new Date("2026-01-02")); // ok
 */
export function assertValidity(notBefore: unknown, notAfter: unknown): void {
  for (const [name, value] of [
    ["notBefore", notBefore],
    ["notAfter", notAfter],
  ] as const) {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
      throw new TypeError(`\`${name}\` must be a valid Date`);
    }
  }
  if ((notAfter as Date).getTime() <= (notBefore as Date).getTime()) {
    throw new RangeError("`notAfter` must be later than `notBefore`");
  }
}

/**
 * The largest PEM input accepted (an ML-DSA-87 certificate is about 10 KiB of PEM).
 *
 * @example
 * express.json({ limit: 2 * MAX_PEM_LENGTH });
 */
export const MAX_PEM_LENGTH = 64 * 1024;

/**
 * The DER inside a PEM string that holds exactly one block labelled `label`; otherwise an Error naming the
 * parameter `name` (input from the network is untrusted: not a string, too long, another label, several
 * blocks).
 *
 * @example
 * const der = decodePem(body.csr, "CERTIFICATE REQUEST", "csr");
 */
export function decodePem(pem: unknown, label: string, name: string): ArrayBuffer {
  if (typeof pem !== "string") {
    throw new TypeError(
      `\`${name}\` must be a PEM string; got ${pem === null ? "null" : typeof pem}`,
    );
  }
  if (pem.length > MAX_PEM_LENGTH) {
    throw new RangeError(`\`${name}\` must be at most ${MAX_PEM_LENGTH} characters`);
  }
  const blocks = x509.PemConverter.decodeWithHeaders(pem);
  if (blocks.length !== 1 || blocks[0]!.type !== label) {
    const found = blocks.map((block) => block.type).join(", ") || "none";
    throw new RangeError(`\`${name}\` must hold exactly one PEM ${label} block; found ${found}`);
  }
  return blocks[0]!.rawData;
}

/**
 * The WebCrypto name of an algorithm @peculiar/x509 reports (its types lean on the DOM `Algorithm`, which
 * this project's Node-only type library lacks); `unknown` for an algorithm it cannot name.
 *
 * @example
 * algorithmName(certificate.signatureAlgorithm); // "ML-DSA-87"
 */
export function algorithmName(algorithm: unknown): string {
  const name = (algorithm as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : "unknown";
}

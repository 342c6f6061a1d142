/**
 * Test trust anchors and workload identities, made the way production makes them: a seed, a self-signed
 * anchor, and for each workload a seed, a CSR, `verifyCsr`, then `issueCertificate`.
 *
 * @example
 * const ca = await testAnchor();
 * const server = await testWorkload(ca, { serviceAccount: "search" });
 * tls.createServer({ cert: server.certificate, key: server.keyPem, ca: [ca.certificate] });
 */
import type { SignatureAlgorithm } from "../../api/algorithms.ts";
import { nativeSignature } from "../signature-native.ts";
import { createCaCertificate } from "../x509-ca.ts";
import { createCsr, verifyCsr } from "../x509-csr.ts";
import { issueCertificate } from "../x509-issue.ts";
import { privateKeyPem, type SigningSeed } from "../x509-keys.ts";

/**
 * One hour, in milliseconds.
 *
 * @example
 * new Date(now.getTime() + HOUR_MS);
 */
export const HOUR_MS = 3_600_000;

/**
 * A trust anchor: its certificate and key.
 *
 * @example
 * const { certificate, key }: TestAnchor = await testAnchor();
 */
export interface TestAnchor {
  certificate: string;
  key: SigningSeed;
  trustDomain: string;
}

/**
 * A workload identity: key, certificate, and the key as PKCS#8 PEM for node:tls.
 *
 * @example
 * const { certificate, keyPem }: TestWorkload = await testWorkload(ca, { serviceAccount: "search" });
 */
export interface TestWorkload {
  key: SigningSeed;
  certificate: string;
  keyPem: string;
  spiffeId: string;
}

/**
 * A fresh anchor valid from an hour before `now` to a day after.
 *
 * @example
 * const ca = await testAnchor({ algorithm: "ML-DSA-87" });
 */
export async function testAnchor(
  options: { trustDomain?: string; algorithm?: SignatureAlgorithm; now?: Date } = {},
): Promise<TestAnchor> {
  const { trustDomain = "cluster.local", algorithm = "ML-DSA-87", now = new Date() } = options;
  const key = { algorithm, seed: nativeSignature.generateSeed(algorithm) };
  const certificate = await createCaCertificate({
    key,
    trustDomain,
    notBefore: new Date(now.getTime() - HOUR_MS),
    notAfter: new Date(now.getTime() + 24 * HOUR_MS),
  });
  return { certificate, key, trustDomain };
}

/**
 * A workload in namespace `mcp` (unless told otherwise) with an identity from `anchor`, valid from a minute
 * before `now` for an hour.
 *
 * @example
 * const client = await testWorkload(ca, { serviceAccount: "agent", algorithm: "ML-DSA-44" });
 */
export async function testWorkload(
  anchor: TestAnchor,
  options: {
    serviceAccount: string;
    namespace?: string;
    dnsNames?: string[];
    algorithm?: SignatureAlgorithm;
    now?: Date;
  },
): Promise<TestWorkload> {
  const { serviceAccount, namespace = "mcp", algorithm = "ML-DSA-65", now = new Date() } = options;
  const key = { algorithm, seed: nativeSignature.generateSeed(algorithm) };
  const spiffeId = `spiffe://${anchor.trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
  const certificate = await issueCertificate({
    issuer: { certificate: anchor.certificate, key: anchor.key },
    subjectKey: await verifyCsr(await createCsr({ key })),
    spiffeId,
    dnsNames: options.dnsNames ?? [`${serviceAccount}.${namespace}.svc`],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + HOUR_MS),
  });
  return { key, certificate, keyPem: privateKeyPem(key), spiffeId };
}

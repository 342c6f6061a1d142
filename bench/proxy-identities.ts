/**
 * The identities of the proxy benchmark: the post-quantum ones as LatticeGuard issues them (an ML-DSA-87
 * anchor, ML-DSA-65 workloads, from the crypto test data), and a classical set of the same shape (an ECDSA
 * P-256 CA and P-256 workloads with the same SPIFFE IDs and DNS names, made with `@peculiar/x509`), so the
 * classical TLS pair runs the very same proxy code and checks.
 *
 * @example
 * const { pq, classical } = await benchIdentities();
 * pq.server.certificate; // ML-DSA-65, spiffe://cluster.local/ns/mcp/sa/search
 */
import { WEBCRYPTO as webcrypto, x509 } from "../operator/crypto/x509-lib.ts";
import { testAnchor, testWorkload } from "../operator/crypto/testdata/identities.ts";
import type { ProxyIdentity } from "../operator/proxy/identity.ts";

const TRUST_DOMAIN = "cluster.local";
const HOUR_MS = 3_600_000;

/** The server (namespace `mcp`, service account `search`) and the client (`agents/planner`). */
export interface IdentityPair {
  server: ProxyIdentity;
  client: ProxyIdentity;
}

/** Where each benchmark identity sits. */
const WHO = {
  server: { namespace: "mcp", serviceAccount: "search", dnsNames: ["search.mcp.svc"] },
  client: { namespace: "agents", serviceAccount: "planner", dnsNames: [] as string[] },
};

const spiffeId = (w: { namespace: string; serviceAccount: string }) =>
  `spiffe://${TRUST_DOMAIN}/ns/${w.namespace}/sa/${w.serviceAccount}`;

async function pqPair(): Promise<IdentityPair> {
  const anchor = await testAnchor({ algorithm: "ML-DSA-87", trustDomain: TRUST_DOMAIN });
  const one = async (w: (typeof WHO)["server"]): Promise<ProxyIdentity> => {
    const workload = await testWorkload(anchor, { ...w, algorithm: "ML-DSA-65" });
    return {
      certificate: workload.certificate,
      keyPem: workload.keyPem,
      bundle: anchor.certificate,
      spiffeId: workload.spiffeId,
      trustDomain: TRUST_DOMAIN,
      notAfter: new Date(Date.now() + HOUR_MS),
    };
  };
  return { server: await one(WHO.server), client: await one(WHO.client) };
}

const ECDSA = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

async function classicalPair(): Promise<IdentityPair> {
  const now = Date.now();
  const caKeys = await webcrypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: "01",
      name: "CN=bench-classical-ca",
      notBefore: new Date(now - HOUR_MS),
      notAfter: new Date(now + 24 * HOUR_MS),
      keys: caKeys,
      signingAlgorithm: ECDSA,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    },
    webcrypto,
  );
  const one = async (w: (typeof WHO)["server"], serial: string): Promise<ProxyIdentity> => {
    const keys = await webcrypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]);
    const names = [
      { type: "url" as const, value: spiffeId(w) },
      ...w.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ];
    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serial,
        subject: "",
        issuer: ca.subject,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + HOUR_MS),
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ECDSA,
        extensions: [new x509.SubjectAlternativeNameExtension(names, true)],
      },
      webcrypto,
    );
    const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
    return {
      certificate: cert.toString("pem") + "\n",
      keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n",
      bundle: ca.toString("pem") + "\n",
      spiffeId: spiffeId(w),
      trustDomain: TRUST_DOMAIN,
      notAfter: new Date(now + HOUR_MS),
    };
  };
  return { server: await one(WHO.server, "02"), client: await one(WHO.client, "03") };
}

/**
 * Both sets of identities.
 *
 * @example
 * const { pq, classical } = await benchIdentities();
 */
export async function benchIdentities(): Promise<{ pq: IdentityPair; classical: IdentityPair }> {
  return { pq: await pqPair(), classical: await classicalPair() };
}

/** The MCPServer the benchmark's proxies serve, and the DNS name its certificate carries. */
export const BENCH_SERVER = {
  namespace: "mcp",
  name: "search",
  dnsName: "search.mcp.svc",
} as const;

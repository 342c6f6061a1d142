/**
 * The issuance API's refusals against the real API server: every token comes from the real TokenRequest
 * API and is reviewed by the real TokenReview API; pods come from the operator's pods informer or the API
 * server (identity-cached-refusals.test.ts has the refusals with every cache warm). The
 * namespace's CryptoPolicy allows only ML-DSA-87. Each refusal is checked for its status, its reason, and
 * one more count in `latticeguard_identity_refusals_total{reason}`; a positive control shows the same
 * setup issues; and nothing a client sent reaches the log.
 */
import { randomBytes } from "node:crypto";
import { AuthenticationV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { SignatureAlgorithm } from "../../operator/api/algorithms.ts";
import { CONNECT_ANNOTATION } from "../../operator/api/annotations.ts";
import { createCsr, nativeSignature, verifyCertificate } from "../../operator/crypto/index.ts";
import { WEBCRYPTO, x509 } from "../../operator/crypto/x509-lib.ts";
import {
  createStaticAuthority,
  type StaticAuthority,
} from "../../operator/identity/issuer/static-authority.ts";
import { postToIssuer } from "../../operator/identity/issuer/test-client.ts";
import { kubeConfig, testNamespace } from "./harness.ts";
import {
  counter,
  createMcpServer,
  createPolicy,
  createWorkload,
  podToken,
  startTestIssuer,
  type TestIssuer,
} from "./identity-harness.ts";

const run = randomBytes(3).toString("hex");
const LABEL = "latticeguard.dev/identity-test";
const core = kubeConfig().makeApiClient(CoreV1Api);
const auth = kubeConfig().makeApiClient(AuthenticationV1Api);
let ns: string;
let issuer: TestIssuer;
let authority: StaticAuthority;
const tokens: Record<string, string> = {};
const csrs: Partial<Record<SignatureAlgorithm, string>> = {};
const sent: string[] = []; // everything clients sent, to look for in the log

const csrFor = (algorithm: SignatureAlgorithm) =>
  createCsr({ key: { algorithm, seed: nativeSignature.generateSeed(algorithm) }, commonName: "x" });

/** The CSR with one bit of its signature flipped: the same key, no proof of possession. */
function tamper(pem: string): string {
  const der = Buffer.from(x509.PemConverter.decodeFirst(pem));
  der[der.length - 1]! ^= 0x01;
  return x509.PemConverter.encode(der, "CERTIFICATE REQUEST");
}

async function ecdsaCsr(): Promise<string> {
  const keys = await WEBCRYPTO.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { keys, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" }, name: "CN=x" },
    WEBCRYPTO,
  );
  return csr.toString("pem");
}

beforeAll(async () => {
  ({ namespace: ns } = await testNamespace("id-refuse", { [LABEL]: run }));
  authority = await createStaticAuthority({ algorithm: "ML-DSA-87" });
  issuer = await startTestIssuer({ authority });
  await createPolicy(issuer, `identity-refusals-${run}`, { [LABEL]: run }, ["ML-DSA-87"], ns);
  await createMcpServer(issuer, ns, "api", { app: "api" });
  await createMcpServer(issuer, ns, "closed", { app: "closed" }, { clients: [] });
  const pods: Record<string, V1Pod> = {};
  for (const [name, labels, nodeName] of [
    ["api-0", { app: "api" }, undefined],
    ["stray", { app: "stray" }, undefined],
    ["doomed", { app: "api" }, undefined],
    ["leaving", { app: "api" }, "ghost-node"],
  ] as const)
    pods[name] = await createWorkload(ns, { name, serviceAccount: "worker", labels, nodeName });
  // Client pods: no MCPServer selects them; their connect annotation names the MCPServers they call.
  for (const [name, connect] of [
    ["caller", "api"],
    ["outsider", "closed"],
    ["lost", `${ns}/missing`],
  ] as const)
    pods[name] = await createWorkload(ns, {
      name,
      serviceAccount: "worker",
      labels: { app: "client" },
      annotations: { [CONNECT_ANNOTATION]: connect },
    });
  tokens.good = await podToken(ns, "worker", pods["api-0"]);
  tokens.otherAudience = await podToken(
    ns,
    "worker",
    pods["api-0"],
    "https://kubernetes.default.svc",
  );
  tokens.unbound = await podToken(ns, "worker", undefined);
  tokens.stray = await podToken(ns, "worker", pods.stray);
  tokens.doomed = await podToken(ns, "worker", pods.doomed);
  tokens.leaving = await podToken(ns, "worker", pods.leaving);
  for (const name of ["caller", "outsider", "lost"])
    tokens[name] = await podToken(ns, "worker", pods[name]);
  const good = tokens.good;
  tokens.forged = `${good.slice(0, -4)}${good.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
  // A pod without a node is deleted at once; one bound to a node stays, terminating, for its kubelet.
  await core.deleteNamespacedPod({ namespace: ns, name: "doomed" });
  await core.deleteNamespacedPod({ namespace: ns, name: "leaving" });
  await vi.waitFor(() =>
    expect(core.readNamespacedPod({ namespace: ns, name: "doomed" })).rejects.toThrow(),
  );
  // Its own cache catches up a moment later; from then on TokenReview refuses the token.
  await vi.waitFor(async () => {
    const review = await auth.createTokenReview({
      body: { spec: { token: tokens.doomed!, audiences: ["latticeguard.dev/identity"] } },
    });
    expect(review.status?.authenticated).toBeFalsy();
  });
  const leaving = await core.readNamespacedPod({ namespace: ns, name: "leaving" });
  expect(leaving.metadata?.deletionTimestamp).toBeDefined();
  // The issuer reads the pod from its informer: wait until that has seen the deletion too.
  await vi.waitFor(() =>
    expect(issuer.caches.pods.get(`${ns}/leaving`)?.metadata?.deletionTimestamp).toBeDefined(),
  );
  for (const algorithm of ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"] as const)
    csrs[algorithm] = await csrFor(algorithm);
  sent.push(...Object.values(tokens), ...Object.values(csrs));
});

const post = (options: { token?: string; authorization?: string; body?: string }) => {
  if (options.body) sent.push(options.body);
  return postToIssuer({ port: issuer.port, trust: authority.bundle(), ...options });
};

describe("the positive control", () => {
  it("issues an ML-DSA-87 identity to a selected pod with a bound token", async () => {
    const r = await post({ token: tokens.good, body: csrs["ML-DSA-87"] });
    expect(r.status).toBe(200);
    const { certificate, spiffeId } = r.json as { certificate: string; spiffeId: string };
    const verified = await verifyCertificate(certificate, authority.bundle());
    expect(verified.spiffeId).toBe(`spiffe://cluster.local/ns/${ns}/sa/worker`);
    expect(spiffeId).toBe(verified.spiffeId);
    expect(verified.dnsNames).toEqual([
      "api",
      `api.${ns}`,
      `api.${ns}.svc`,
      `api.${ns}.svc.cluster.local`,
    ]);
    expect(verified.notAfter.getTime() - verified.notBefore.getTime()).toBe(31 * 60_000); // 30m TTL + backdating
    expect(
      await counter(issuer, "latticeguard_identities_issued_total", {
        namespace: ns,
        algorithm: "ML-DSA-87",
      }),
    ).toBe(1);
  });
});

describe("a client pod", () => {
  it("gets a client identity (its SPIFFE ID, no DNS names) when the MCPServer it connects to admits it", async () => {
    const r = await post({ token: tokens.caller, body: csrs["ML-DSA-87"] });
    expect(r.status).toBe(200);
    const verified = await verifyCertificate(
      (r.json as { certificate: string }).certificate,
      authority.bundle(),
    );
    expect(verified.spiffeId).toBe(`spiffe://cluster.local/ns/${ns}/sa/worker`);
    expect(verified.dnsNames).toEqual([]);
    // Counted, but not reported as the MCPServer's own identity (its status is the server pods').
    expect(
      await counter(issuer, "latticeguard_identities_issued_total", { mcpserver: `${ns}/api` }),
    ).toBe(1);
    expect(issuer.issued.filter((i) => i.mcpserver.includes("/"))).toEqual([]);
  });
});

type Request = { token?: string; authorization?: string; body?: string };
const cases: [string, number, string, () => Request | Promise<Request>][] = [
  ["no Authorization header", 401, "MissingToken", () => ({ body: csrs["ML-DSA-87"] })],
  [
    "a header that is not a bearer JWT",
    401,
    "MalformedToken",
    () => ({ authorization: "Bearer not-a-jwt", body: csrs["ML-DSA-87"] }),
  ],
  [
    "a token with a forged signature",
    401,
    "InvalidToken",
    () => ({ token: tokens.forged, body: csrs["ML-DSA-87"] }),
  ],
  [
    "a token for another audience",
    401,
    "WrongAudience",
    () => ({ token: tokens.otherAudience, body: csrs["ML-DSA-87"] }),
  ],
  [
    "a token bound to no pod",
    403,
    "NotBoundToPod",
    () => ({ token: tokens.unbound, body: csrs["ML-DSA-87"] }),
  ],
  [
    "a token for a deleted pod (the API server refuses it)",
    401,
    "InvalidToken",
    () => ({ token: tokens.doomed, body: csrs["ML-DSA-87"] }),
  ],
  [
    "a token for a terminating pod",
    403,
    "PodGone",
    () => ({ token: tokens.leaving, body: csrs["ML-DSA-87"] }),
  ],
  [
    "a pod no MCPServer selects",
    403,
    "PodNotSelected",
    () => ({ token: tokens.stray, body: csrs["ML-DSA-87"] }),
  ],
  [
    "a client pod whose connect annotation names an MCPServer that does not admit it",
    403,
    "ClientNotAllowed",
    () => ({ token: tokens.outsider, body: csrs["ML-DSA-87"] }),
  ],
  [
    "a client pod whose connect annotation names no MCPServer that exists",
    403,
    "PodNotSelected",
    () => ({ token: tokens.lost, body: csrs["ML-DSA-87"] }),
  ],
  [
    "a CSR whose signature does not match its key",
    400,
    "MalformedCSR",
    () => ({ token: tokens.good, body: tamper(csrs["ML-DSA-87"]!) }),
  ],
  [
    "an ML-DSA-44 key (policy: ML-DSA-87 only)",
    403,
    "AlgorithmNotAllowed",
    () => ({ token: tokens.good, body: csrs["ML-DSA-44"] }),
  ],
  [
    "an ML-DSA-65 key (policy: ML-DSA-87 only)",
    403,
    "AlgorithmNotAllowed",
    () => ({ token: tokens.good, body: csrs["ML-DSA-65"] }),
  ],
  [
    "an ECDSA CSR",
    400,
    "MalformedCSR",
    async () => ({ token: tokens.good, body: await ecdsaCsr() }),
  ],
  ["an empty body", 400, "MalformedCSR", () => ({ token: tokens.good, body: "" })],
  [
    "a body that is not PEM",
    400,
    "MalformedCSR",
    () => ({ token: tokens.good, body: "hello, issuer" }),
  ],
  [
    "a JSON body",
    400,
    "MalformedCSR",
    () => ({ token: tokens.good, body: JSON.stringify({ csr: csrs["ML-DSA-87"] }) }),
  ],
  [
    "a certificate instead of a CSR",
    400,
    "MalformedCSR",
    () => ({ token: tokens.good, body: authority.anchor.certificate }),
  ],
  [
    "two CSRs",
    400,
    "MalformedCSR",
    () => ({ token: tokens.good, body: `${csrs["ML-DSA-87"]}${csrs["ML-DSA-87"]}` }),
  ],
  [
    "a truncated CSR",
    400,
    "MalformedCSR",
    () => ({ token: tokens.good, body: csrs["ML-DSA-87"]!.slice(0, 600) }),
  ],
  [
    "random bytes",
    400,
    "MalformedCSR",
    () => ({ token: tokens.good, body: randomBytes(2048).toString("latin1") }),
  ],
  [
    "a body over 64 KiB",
    413,
    "BodyTooLarge",
    () => ({ token: tokens.good, body: "A".repeat(64 * 1024 + 1) }),
  ],
];

describe("refusals", () => {
  it.each(cases)("refuses %s with %i %s, and counts it", async (_name, status, reason, request) => {
    const before = await counter(issuer, "latticeguard_identity_refusals_total", { reason });
    const r = await post(await request());
    expect(r.status).toBe(status);
    expect(Object.keys(r.json ?? {}).sort()).toEqual(["message", "reason"]);
    expect(r.json?.reason).toBe(reason);
    expect(await counter(issuer, "latticeguard_identity_refusals_total", { reason })).toBe(
      before + 1,
    );
  });

  // The issuer remembers a successful review for ten seconds (and the API server caches a successful
  // token authentication as long), so right after a pod is deleted, its token may still be accepted;
  // then only the issuer's check of the pod refuses it, once the deletion reached the pods informer.
  it("refuses a pod deleted since its token was last reviewed with 403 PodGone", async () => {
    const pod = await createWorkload(ns, {
      name: "brief",
      serviceAccount: "worker",
      labels: { app: "api" },
    });
    const token = await podToken(ns, "worker", pod);
    sent.push(token);
    expect((await post({ token, body: csrs["ML-DSA-87"] })).status).toBe(200);
    await core.deleteNamespacedPod({ namespace: ns, name: "brief" });
    await vi.waitFor(() =>
      expect(core.readNamespacedPod({ namespace: ns, name: "brief" })).rejects.toThrow(),
    );
    await vi.waitFor(() => expect(issuer.caches.pods.get(`${ns}/brief`)).toBeUndefined());
    const before = await counter(issuer, "latticeguard_identity_refusals_total", {
      reason: "PodGone",
    });
    const r = await post({ token, body: csrs["ML-DSA-87"] });
    expect({ status: r.status, reason: r.json?.reason }).toEqual({
      status: 403,
      reason: "PodGone",
    });
    expect(r.json?.message).toBe(`pod "${ns}/brief" no longer exists`);
    expect(
      await counter(issuer, "latticeguard_identity_refusals_total", { reason: "PodGone" }),
    ).toBe(before + 1);
  });

  it("answers 503 NoSigner while the authority has no signer, and issues again once it has", async () => {
    authority.setSigner(undefined);
    try {
      const r = await post({ token: tokens.good, body: csrs["ML-DSA-87"] });
      expect(r.status).toBe(503);
      expect(r.json?.reason).toBe("NoSigner");
      expect(
        await counter(issuer, "latticeguard_identity_refusals_total", { reason: "NoSigner" }),
      ).toBe(1);
    } finally {
      authority.setSigner(authority.anchor);
    }
    expect((await post({ token: tokens.good, body: csrs["ML-DSA-87"] })).status).toBe(200);
  });

  it("issued nothing for any refusal", async () => {
    // The positive control, the client pod, the deleted pod before its deletion, and the NoSigner
    // recovery; the client's is not reported for the MCPServer's status.
    expect(await counter(issuer, "latticeguard_identities_issued_total", {})).toBe(4);
    expect(issuer.issued).toHaveLength(3);
  });
});

describe("the log", () => {
  it("holds no token, CSR or body any client sent, only reasons and what the API server said", () => {
    const log = issuer.log.join("\n");
    expect(log).toContain('"reason":"PodNotSelected"');
    expect(log).toContain('"msg":"Refused identity request"');
    expect(log).toContain('"msg":"Issued workload identity"');
    expect(log).not.toContain("CERTIFICATE REQUEST");
    for (const value of sent) {
      const middle = value.slice(Math.floor(value.length / 2), Math.floor(value.length / 2) + 32);
      if (middle.trim().length >= 16) expect(log).not.toContain(middle);
    }
    for (const token of Object.values(tokens)) expect(log).not.toContain(token.split(".")[1]);
  });
});

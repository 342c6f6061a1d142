/**
 * The issuance API's refusals with every cache warm, against the real API server: each workload first
 * gets an identity twice, the second time with its TokenReview answered from the issuer's memory and its
 * pod from the pods informer (the lookup counters say so); then its pod is deleted, left terminating or
 * replaced by one of the same name, or its ServiceAccount is deleted, and the same token is refused, with
 * the counters showing which cache answered. Nothing is issued for a refusal.
 */
import { randomBytes } from "node:crypto";
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createCsr, nativeSignature } from "../../operator/crypto/index.ts";
import { REVIEW_CACHE_TTL_MS } from "../../operator/identity/issuer/review-cache.ts";
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
/** How long kube-apiserver itself caches a successful token authentication. */
const API_SERVER_TOKEN_CACHE_MS = 10_000;
const core = kubeConfig().makeApiClient(CoreV1Api);
let ns: string;
let issuer: TestIssuer;
let authority: StaticAuthority;
let csr: string;

beforeAll(async () => {
  ({ namespace: ns } = await testNamespace("id-cached", { [LABEL]: run }));
  authority = await createStaticAuthority({ algorithm: "ML-DSA-87" });
  issuer = await startTestIssuer({ authority });
  await createPolicy(issuer, `identity-cached-${run}`, { [LABEL]: run }, ["ML-DSA-87"], ns);
  await createMcpServer(issuer, ns, "api", { app: "api" });
  csr = await createCsr({
    key: { algorithm: "ML-DSA-87", seed: nativeSignature.generateSeed("ML-DSA-87") },
  });
});

const post = (token: string) =>
  postToIssuer({ port: issuer.port, trust: authority.bundle(), token, body: csr });

/** The lookup counters, by cache and result. */
async function lookups() {
  const count = (cache: string, result: string) =>
    counter(issuer, "latticeguard_identity_cache_lookups_total", { cache, result });
  return {
    reviewHit: await count("tokenreview", "hit"),
    reviewMiss: await count("tokenreview", "miss"),
    podHit: await count("pod", "hit"),
    podMiss: await count("pod", "miss"),
  };
}

/** How the counters moved since `before`. */
async function since(before: Awaited<ReturnType<typeof lookups>>) {
  const now = await lookups();
  return {
    reviewHit: now.reviewHit - before.reviewHit,
    reviewMiss: now.reviewMiss - before.reviewMiss,
    podHit: now.podHit - before.podHit,
    podMiss: now.podMiss - before.podMiss,
  };
}

const cachedPod = (name: string) => issuer.caches.pods.get(`${ns}/${name}`);

/**
 * A selected pod and its token, issued an identity twice: the second time from warm caches only.
 */
async function warmWorkload(
  name: string,
  options: { serviceAccount?: string; nodeName?: string } = {},
): Promise<{ pod: V1Pod; token: string }> {
  const serviceAccount = options.serviceAccount ?? "worker";
  const pod = await createWorkload(ns, {
    name,
    serviceAccount,
    labels: { app: "api" },
    ...(options.nodeName && { nodeName: options.nodeName }),
  });
  const token = await podToken(ns, serviceAccount, pod);
  await vi.waitFor(() => expect(cachedPod(name)?.metadata?.uid).toBe(pod.metadata!.uid));
  expect((await post(token)).status).toBe(200);
  const before = await lookups();
  expect((await post(token)).status).toBe(200);
  expect(await since(before)).toEqual({ reviewHit: 1, reviewMiss: 0, podHit: 1, podMiss: 0 });
  return { pod, token };
}

/** Posts `token` once and expects the refusal, with nothing issued. */
async function expectRefused(token: string, status: number, reason: string, message?: RegExp) {
  const issued = issuer.issued.length;
  const r = await post(token);
  expect({ status: r.status, reason: r.json?.reason }).toEqual({ status, reason });
  if (message) expect(r.json?.message).toMatch(message);
  expect(issuer.issued).toHaveLength(issued);
}

describe("with the TokenReview remembered and the pod cached", () => {
  it("refuses a deleted pod's token with 403 PodGone once the informer has seen the deletion", async () => {
    const { token } = await warmWorkload("gone-0");
    await core.deleteNamespacedPod({ namespace: ns, name: "gone-0" });
    await vi.waitFor(() => expect(cachedPod("gone-0")).toBeUndefined());
    const before = await lookups();
    await expectRefused(token, 403, "PodGone", /no longer exists/);
    // The review was still remembered; the pod, no longer cached, came from the API server: 404.
    expect(await since(before)).toEqual({ reviewHit: 1, reviewMiss: 0, podHit: 0, podMiss: 1 });
  });

  it("refuses a terminating pod's token with 403 PodGone, from the cached pod", async () => {
    const { token } = await warmWorkload("leaving-0", { nodeName: "ghost-node" });
    await core.deleteNamespacedPod({ namespace: ns, name: "leaving-0" });
    await vi.waitFor(() =>
      expect(cachedPod("leaving-0")?.metadata?.deletionTimestamp).toBeDefined(),
    );
    const before = await lookups();
    await expectRefused(token, 403, "PodGone", /is being deleted/);
    expect(await since(before)).toEqual({ reviewHit: 1, reviewMiss: 0, podHit: 1, podMiss: 0 });
  });

  it("refuses the token of a pod replaced by one of the same name with 403 PodGone", async () => {
    const { pod: old, token } = await warmWorkload("swap-0");
    await core.deleteNamespacedPod({ namespace: ns, name: "swap-0" });
    await vi.waitFor(() =>
      expect(core.readNamespacedPod({ namespace: ns, name: "swap-0" })).rejects.toThrow(),
    );
    const replacement = await createWorkload(ns, {
      name: "swap-0",
      serviceAccount: "worker",
      labels: { app: "api" },
    });
    expect(replacement.metadata!.uid).not.toBe(old.metadata!.uid);
    await vi.waitFor(() =>
      expect(cachedPod("swap-0")?.metadata?.uid).toBe(replacement.metadata!.uid),
    );
    const before = await lookups();
    await expectRefused(token, 403, "PodGone", /was replaced/);
    // The cache holds the new pod, whose UID is not the token's: the API server confirmed it.
    expect(await since(before)).toEqual({ reviewHit: 1, reviewMiss: 0, podHit: 0, podMiss: 1 });
    // The new pod's own token is issued, its pod from the cache.
    const fresh = await podToken(ns, "worker", replacement);
    const beforeFresh = await lookups();
    expect((await post(fresh)).status).toBe(200);
    expect(await since(beforeFresh)).toEqual({
      reviewHit: 0,
      reviewMiss: 1,
      podHit: 1,
      podMiss: 0,
    });
  });

  it("refuses a token whose ServiceAccount was deleted with 401 InvalidToken once its review expires", async () => {
    const { token } = await warmWorkload("orphan-0", { serviceAccount: "orphan" });
    const deleted = Date.now();
    await core.deleteNamespacedServiceAccount({ namespace: ns, name: "orphan" });
    // Remembered by the issuer and by kube-apiserver, the review stands for at most both their TTLs.
    const bound = REVIEW_CACHE_TTL_MS + API_SERVER_TOKEN_CACHE_MS;
    let r = await post(token);
    while (r.status === 200 && Date.now() - deleted < bound + 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      r = await post(token);
    }
    expect({ status: r.status, reason: r.json?.reason }).toEqual({
      status: 401,
      reason: "InvalidToken",
    });
    expect(Date.now() - deleted).toBeLessThanOrEqual(bound + 5_000);
    // A refusal is never remembered: the next request asks the API server again, and is refused again.
    const before = await lookups();
    await expectRefused(token, 401, "InvalidToken");
    expect(await since(before)).toMatchObject({ reviewHit: 0, reviewMiss: 1 });
  });
});

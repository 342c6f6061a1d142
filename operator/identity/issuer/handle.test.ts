// The handler's chain runs against the real API server in test/integration/identity-*.test.ts; here, with
// API calls that record they were made, the order of the checks (what a malformed request costs the API
// server: nothing) and its pure helper for wording a refused token.
import type { V1Namespace } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { MCPServer } from "../../api/types.generated.ts";
import { createCsr, nativeSignature } from "../../crypto/index.ts";
import { cacheOf, type NamespacedCache } from "../../kube/cache.ts";
import { issuanceHandler, unverifiedAudiences } from "./handle.ts";

const jwt = (payload: unknown) =>
  `e30.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.c2ln`;

describe("unverifiedAudiences", () => {
  it.each<[string, string, string[] | undefined]>([
    ["a list", jwt({ aud: ["a", "b"] }), ["a", "b"]],
    ["a single string", jwt({ aud: "a" }), ["a"]],
    ["no aud claim", jwt({ sub: "x" }), undefined],
    ["a non-string audience", jwt({ aud: [1] }), undefined],
    ["a payload that is not JSON", "e30.bm90LWpzb24.c2ln", undefined],
    ["no payload segment", "e30", undefined],
  ])("reads %s", (_name, token, expected) => {
    expect(unverifiedAudiences(token)).toEqual(expected);
  });
});

const emptyCache: NamespacedCache<never> = cacheOf([]);
const csr = await createCsr({
  key: { algorithm: "ML-DSA-44", seed: nativeSignature.generateSeed("ML-DSA-44") },
});

describe("the order of checks", () => {
  const token = jwt({ aud: ["latticeguard.dev/identity"] });

  it.each<[string, string | undefined, string, string, string[]]>([
    ["no token", undefined, csr, "MissingToken", []],
    ["a token that is not a JWT", "Bearer opaque", csr, "MalformedToken", []],
    ["a body that is not a CSR", `Bearer ${token}`, "hello", "MalformedCSR", []],
    ["a truncated CSR", `Bearer ${token}`, csr.slice(0, 400), "MalformedCSR", []],
    ["no body", `Bearer ${token}`, "", "MalformedCSR", []],
    [
      "a valid CSR with a token the API server refuses",
      `Bearer ${token}`,
      csr,
      "InvalidToken",
      ["TokenReview"],
    ],
  ])(
    "refuses %s as %s, after these API calls: %j",
    async (_name, authorization, body, reason, calls) => {
      const made: string[] = [];
      const handle = issuanceHandler({
        audience: "latticeguard.dev/identity",
        review: () => {
          made.push("TokenReview");
          return Promise.resolve({ ok: false, reason: "InvalidToken", message: "no" });
        },
        readPod: () => {
          made.push("pod read");
          return Promise.resolve(undefined);
        },
        caches: { servers: emptyCache, policies: emptyCache, namespaces: emptyCache },
        authority: { signer: () => undefined, bundle: () => [] },
        trustDomain: "cluster.local",
        clusterDomain: "cluster.local",
        now: () => new Date(),
      });
      const outcome = await handle(authorization, body);
      expect(outcome.ok ? "issued" : outcome.refusal.reason).toBe(reason);
      expect(made).toEqual(calls);
    },
  );
});

describe("a namespace-scoped install", () => {
  const token = jwt({ aud: ["latticeguard.dev/identity"] });

  it.each([
    [
      "outside its namespaces before reading the pod",
      "shop",
      "NamespaceNotWatched",
      ["TokenReview"],
    ],
    [
      "in its namespaces only after reading the pod",
      "mcp-a",
      "PodGone",
      ["TokenReview", "pod read"],
    ],
  ])("refuses a caller %s", async (_name, namespace, reason, calls) => {
    const made: string[] = [];
    const handle = issuanceHandler({
      audience: "latticeguard.dev/identity",
      review: () => {
        made.push("TokenReview");
        const pod = { namespace, name: "web-0", serviceAccount: "web", uid: "u" };
        return Promise.resolve({ ok: true, pod });
      },
      readPod: () => {
        made.push("pod read");
        return Promise.resolve(undefined);
      },
      caches: { servers: emptyCache, policies: emptyCache, namespaces: emptyCache },
      authority: { signer: () => undefined, bundle: () => [] },
      trustDomain: "cluster.local",
      clusterDomain: "cluster.local",
      watchNamespaces: ["mcp-a", "mcp-b"],
      now: () => new Date(),
    });
    const outcome = await handle(`Bearer ${token}`, csr);
    expect(outcome.ok ? "issued" : outcome.refusal).toMatchObject({ reason });
    expect(made).toEqual(calls);
    if (reason === "NamespaceNotWatched" && !outcome.ok)
      expect(outcome.refusal.message).toBe('LatticeGuard does not watch namespace "shop"');
  });
});

describe("the pod read", () => {
  it("names the pod the reviewed token is bound to, with its UID", async () => {
    const reads: unknown[][] = [];
    const pod = { namespace: "mcp", serviceAccount: "search", name: "search-0", uid: "u-1" };
    const handle = issuanceHandler({
      audience: "latticeguard.dev/identity",
      review: () => Promise.resolve({ ok: true, pod }),
      readPod: (...args) => {
        reads.push(args);
        return Promise.resolve(undefined);
      },
      caches: { servers: emptyCache, policies: emptyCache, namespaces: emptyCache },
      authority: { signer: () => undefined, bundle: () => [] },
      trustDomain: "cluster.local",
      clusterDomain: "cluster.local",
      now: () => new Date(),
    });
    const outcome = await handle(`Bearer ${jwt({ aud: ["latticeguard.dev/identity"] })}`, csr);
    expect(outcome.ok ? "issued" : outcome.refusal.reason).toBe("PodGone");
    expect(reads).toEqual([["mcp", "search-0", "u-1"]]);
  });
});

describe("finding the MCPServer", () => {
  it("reads the MCPServers of the caller's namespace only, through the cache's namespace index", async () => {
    const pod = { namespace: "mcp", serviceAccount: "search", name: "search-0", uid: "u-1" };
    const read: string[] = [];
    const servers: NamespacedCache<MCPServer> = {
      get: () => undefined,
      list: () => {
        throw new Error("the issuer must not list every MCPServer of the cluster");
      },
      inNamespace: (namespace) => {
        read.push(namespace);
        return [];
      },
    };
    const handle = issuanceHandler({
      audience: "latticeguard.dev/identity",
      review: () => Promise.resolve({ ok: true, pod }),
      readPod: () =>
        Promise.resolve({
          metadata: { namespace: "mcp", name: "search-0", uid: "u-1" },
          spec: { serviceAccountName: "search", containers: [] },
        }),
      caches: {
        servers,
        policies: emptyCache,
        namespaces: cacheOf<V1Namespace>([{ metadata: { name: "mcp" } }]),
      },
      authority: { signer: () => undefined, bundle: () => [] },
      trustDomain: "cluster.local",
      clusterDomain: "cluster.local",
      now: () => new Date(),
    });
    const outcome = await handle(`Bearer ${jwt({ aud: ["latticeguard.dev/identity"] })}`, csr);
    expect(outcome.ok ? "issued" : outcome.refusal.reason).toBe("PodNotSelected");
    expect(read).toEqual(["mcp"]);
  });
});

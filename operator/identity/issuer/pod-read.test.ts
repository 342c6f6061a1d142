// The issuer's pod reads over a fixed cache and a GET that records its calls: the cache answers only for
// the token's pod (same name and UID) cached with its service account; anything else is the API server's.
import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { cacheOf } from "../../kube/cache.ts";
import { metadataOnly } from "../../runtime/informer.ts";
import { cachedPodReader, issuerPodFields } from "./pod-read.ts";

const pod = (uid: string, extra: Partial<V1Pod["metadata"]> = {}): V1Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "search-0",
    namespace: "mcp",
    uid,
    labels: { app: "search" },
    managedFields: [{ manager: "kubectl" }],
    ...extra,
  },
  spec: {
    serviceAccountName: "search",
    nodeName: "node-1",
    containers: [{ name: "server", image: "example.com/mcp:1" }],
  },
  status: { phase: "Running" },
});

describe("issuerPodFields", () => {
  it("keeps the metadata and the service account, nothing else", () => {
    expect(issuerPodFields(pod("u-1"))).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "search-0", namespace: "mcp", uid: "u-1", labels: { app: "search" } },
      spec: { serviceAccountName: "search" },
    });
  });

  it("keeps an unset service account as an empty one (the API server's `default`)", () => {
    const bare = { ...pod("u-1"), spec: { containers: [] } };
    expect(issuerPodFields(bare).spec).toEqual({ serviceAccountName: "" });
  });
});

describe("cachedPodReader", () => {
  const fromApi = pod("u-api");
  function reader(cached: V1Pod[]) {
    const gets: string[] = [];
    const hits: boolean[] = [];
    const read = cachedPodReader(
      cacheOf(cached),
      (namespace, name) => {
        gets.push(`${namespace}/${name}`);
        return Promise.resolve(fromApi);
      },
      (hit) => hits.push(hit),
    );
    return { read, gets, hits };
  }

  it("answers from the cache for the token's pod, cached with its service account", async () => {
    const cached = issuerPodFields(pod("u-1"));
    const { read, gets, hits } = reader([cached]);
    expect(await read("mcp", "search-0", "u-1")).toBe(cached);
    expect(gets).toEqual([]);
    expect(hits).toEqual([true]);
  });

  it("answers a terminating pod from the cache, as it is (the handler refuses it)", async () => {
    const leaving = issuerPodFields(
      pod("u-1", { deletionTimestamp: new Date("2030-01-01T00:00:00Z") }),
    );
    const { read } = reader([leaving]);
    expect((await read("mcp", "search-0", "u-1"))?.metadata?.deletionTimestamp).toBeDefined();
  });

  it.each<[string, V1Pod[], string | undefined]>([
    ["a pod the cache does not hold", [], "u-1"],
    ["a cached pod of that name with another UID", [issuerPodFields(pod("u-old"))], "u-1"],
    ["a cached pod without its service account", [metadataOnly(pod("u-1"))], "u-1"],
    ["a read that names no UID", [issuerPodFields(pod("u-1"))], undefined],
  ])("asks the API server for %s", async (_name, cached, uid) => {
    const { read, gets, hits } = reader(cached);
    expect(await read("mcp", "search-0", uid)).toBe(fromApi);
    expect(gets).toEqual(["mcp/search-0"]);
    expect(hits).toEqual([false]);
  });

  it("asks the API server for every read without a cache", async () => {
    const gets: string[] = [];
    const read = cachedPodReader(undefined, (namespace, name) => {
      gets.push(`${namespace}/${name}`);
      return Promise.resolve(undefined);
    });
    expect(await read("mcp", "search-0", "u-1")).toBeUndefined();
    expect(gets).toEqual(["mcp/search-0"]);
  });
});

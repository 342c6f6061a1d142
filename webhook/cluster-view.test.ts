// Fresh reads of a namespace against a stand-in API server over HTTPS: what a read returns, and that a
// read that gives up (its deadline passed, or one of its lists failed) abandons every list still running,
// so the bound on fresh reads in flight is a bound on requests to the API server.
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { cacheOf } from "../operator/kube/cache.ts";
import {
  httpsApiServer,
  type HttpsApiServer,
} from "../operator/runtime/testing/https-api-server.ts";
import { clusterViews } from "./cluster-view.ts";

let api: HttpsApiServer | undefined;
afterEach(() => api?.close());

const caches = { namespaces: cacheOf([]), policies: cacheOf([]), servers: cacheOf([]) };
const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
const list = (kind: string, items: unknown[]) => ({
  apiVersion: kind === "NamespaceList" ? "v1" : "latticeguard.dev/v1alpha1",
  kind,
  metadata: {},
  items,
});

/** Answers the three lists of a fresh read, unless `otherwise` takes the request. */
function answering(otherwise?: (path: string, res: ServerResponse) => boolean) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? "";
    if (otherwise?.(path, res)) return;
    if (path.startsWith("/api/v1/namespaces?")) {
      const shop = { metadata: { name: "shop", labels: { a: "b" } } };
      json(res, 200, list("NamespaceList", [shop]));
    } else if (path.includes("/mcpservers")) {
      const web = { metadata: { name: "web", namespace: "shop" } };
      json(res, 200, list("MCPServerList", [web]));
    } else json(res, 200, list("CryptoPolicyList", [{ metadata: { name: "strict" } }]));
  };
}

describe("clusterViews(…).fresh", () => {
  it("reads the namespace, its MCPServers and the CryptoPolicies from the API server", async () => {
    api = await httpsApiServer(answering());
    const view = await clusterViews(caches, api.kubeConfig).fresh("shop");
    expect(view.namespace("shop")?.metadata?.labels).toEqual({ a: "b" });
    expect(view.servers("shop").map((s) => s.metadata.name)).toEqual(["web"]);
    expect(view.policies().map((p) => p.metadata.name)).toEqual(["strict"]);
    expect(api.received.map((r) => r.path.split("?")[0])).toEqual([
      "/api/v1/namespaces",
      "/apis/latticeguard.dev/v1alpha1/namespaces/shop/mcpservers",
      "/apis/latticeguard.dev/v1alpha1/cryptopolicies",
    ]);
  });

  it("gives up after its deadline and abandons all three lists", async () => {
    api = await httpsApiServer(() => undefined); // a stuck API server
    await expect(clusterViews(caches, api.kubeConfig, 200).fresh("shop")).rejects.toThrow(
      'reading namespace "shop" took longer than 200 ms',
    );
    expect(api.received).toHaveLength(3);
    await vi.waitFor(() => expect(api!.received.map((r) => r.closed)).toEqual([true, true, true]));
  });

  it("gives up when one list fails, and abandons the others", async () => {
    api = await httpsApiServer(
      answering((path, res) => {
        if (path.includes("/mcpservers")) json(res, 500, { message: "etcd is unhappy" });
        // The other two never answer.
        return true;
      }),
    );
    await expect(clusterViews(caches, api.kubeConfig, 10_000).fresh("shop")).rejects.toThrow(
      "HTTP 500: etcd is unhappy",
    );
    await vi.waitFor(() => expect(api!.received.map((r) => r.closed)).toEqual([true, true, true]));
  });
});

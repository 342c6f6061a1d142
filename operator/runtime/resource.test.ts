import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { listJson, resourcePath } from "./resource.ts";
import { httpsApiServer, type HttpsApiServer } from "./testing/https-api-server.ts";

describe("resourcePath", () => {
  it.each([
    [{ apiVersion: "v1", plural: "configmaps" }, "mcp", "/api/v1/namespaces/mcp/configmaps"],
    [{ apiVersion: "v1", plural: "namespaces" }, undefined, "/api/v1/namespaces"],
    [
      { apiVersion: "latticeguard.dev/v1alpha1", plural: "cryptopolicies" },
      undefined,
      "/apis/latticeguard.dev/v1alpha1/cryptopolicies",
    ],
    [
      { apiVersion: "latticeguard.dev/v1alpha1", plural: "mcpservers" },
      "mcp",
      "/apis/latticeguard.dev/v1alpha1/namespaces/mcp/mcpservers",
    ],
  ])("of %j in %s is %s", (resource, namespace, path) => {
    expect(resourcePath(resource, namespace)).toBe(path);
  });

  it.each([
    [{ apiVersion: "/v1", plural: "pods" }, /`resource.apiVersion`/],
    [{ apiVersion: "v1", plural: "Pods" }, /`resource.plural`/],
    [{ apiVersion: "v1", plural: "../secrets" }, /`resource.plural`/],
  ])("rejects %j, naming the field", (resource, message) => {
    expect(() => resourcePath(resource)).toThrow(message);
  });
});

describe("listJson", () => {
  let api: HttpsApiServer | undefined;
  afterEach(() => api?.close());
  const list = (items: unknown[]) => (_req: IncomingMessage, res: ServerResponse) =>
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ apiVersion: "v1", kind: "PodList", metadata: {}, items }));

  it("lists as the API server's JSON, with apiVersion and kind on every item", async () => {
    api = await httpsApiServer(list([{ metadata: { name: "a" } }]));
    const result = await listJson(api.kubeConfig, "/api/v1/pods", { labelSelector: "app=x" });
    expect(result.items).toEqual([{ apiVersion: "v1", kind: "Pod", metadata: { name: "a" } }]);
    expect(api.received.map((r) => r.path)).toEqual([
      "/api/v1/pods?limit=500&labelSelector=app%3Dx",
    ]);
  });

  it("abandons the request in flight when the signal aborts, closing its connection", async () => {
    api = await httpsApiServer(() => undefined); // never answers
    const giveUp = new AbortController();
    const listing = listJson(api.kubeConfig, "/api/v1/pods", { signal: giveUp.signal });
    await vi.waitFor(() => expect(api!.received).toHaveLength(1));
    giveUp.abort(new Error("gave up"));
    await expect(listing).rejects.toThrow();
    await vi.waitFor(() => expect(api!.received[0]!.closed).toBe(true));
  });

  it("sends nothing for a signal that has already aborted", async () => {
    api = await httpsApiServer(list([]));
    const signal = AbortSignal.abort(new Error("gave up before"));
    await expect(listJson(api.kubeConfig, "/api/v1/pods", { signal })).rejects.toThrow(
      "gave up before",
    );
    expect(api.received).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { resourcePath } from "./resource.ts";

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

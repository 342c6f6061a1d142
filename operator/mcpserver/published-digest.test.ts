import type { V1ConfigMap } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { digestPublishedKeys, isPublished, publishedDigest } from "./published-digest.ts";

const text = JSON.stringify([{ keyId: "mlkem768-0011223344556677" }], null, 2);
const configMap = (labels: Record<string, string>, data: Record<string, string>): V1ConfigMap => ({
  metadata: { name: "weather-kem-public", namespace: "mcp", labels },
  data,
});

describe("digestPublishedKeys", () => {
  it("keeps a digest of keys.json in a public-keys ConfigMap, and its other entries", () => {
    const cm = configMap(
      { "latticeguard.dev/mcpserver": "weather" },
      { "keys.json": text, x: "y" },
    );
    expect(digestPublishedKeys(cm).data).toEqual({ "keys.json": publishedDigest(text), x: "y" });
    expect(cm.data!["keys.json"]).toBe(text);
  });

  it.each([
    ["without the MCPServer label", configMap({}, { "keys.json": text })],
    [
      "without keys.json",
      configMap({ "latticeguard.dev/mcpserver": "weather" }, { "bundle.pem": "…" }),
    ],
  ])("leaves a ConfigMap %s as it is", (_name, cm) => {
    expect(digestPublishedKeys(cm)).toBe(cm);
  });
});

describe("isPublished", () => {
  it.each([
    ["the digest of the same text", publishedDigest(text), true],
    ["the same text (a cache of whole objects)", text, true],
    ["the digest of other text", publishedDigest(`${text} `), false],
    ["other text", "[]", false],
    ["nothing", undefined, false],
  ])("is %s when the cache holds %s", (_name, cached, expected) => {
    expect(isPublished(text, cached)).toBe(expected);
  });
});

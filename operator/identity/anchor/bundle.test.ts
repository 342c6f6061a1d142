import { describe, expect, it } from "vitest";
import type { AnchorRecord } from "./rotation.ts";
import {
  BUNDLE_ENTRY,
  TRUST_BUNDLE_LABEL,
  bundleAnchors,
  bundleConfigMap,
  bundlePem,
  decideCopy,
  splitBundle,
  type CopyInput,
} from "./bundle.ts";

const T0 = Date.parse("2026-11-21T12:00:00Z");
const anchor = (id: string, state: AnchorRecord["state"], notBefore: number, notAfter: number) => ({
  id,
  state,
  algorithm: "ML-DSA-87" as const,
  trustDomain: "cluster.local",
  notBefore,
  notAfter,
  certificate: `-----BEGIN CERTIFICATE-----\n${id}\n-----END CERTIFICATE-----\n`,
});

describe("bundleAnchors", () => {
  const anchors = [
    anchor("old", "retiring", T0 - 300, T0 + 100),
    anchor("older", "retiring", T0 - 400, T0 + 50),
    anchor("next", "next", T0, T0 + 1000),
    anchor("active", "active", T0 - 200, T0 + 800),
    anchor("gone", "retiring", T0 - 1000, T0),
  ];

  it("lists every anchor not yet expired, the signer first, then next, then retiring newest first", () => {
    expect(bundleAnchors(anchors, T0).map((a) => a.id)).toEqual(["active", "next", "old", "older"]);
  });

  it("drops each anchor exactly at its notAfter", () => {
    expect(bundleAnchors(anchors, T0 + 50).map((a) => a.id)).toEqual(["active", "next", "old"]);
    expect(bundleAnchors(anchors, T0 + 49).map((a) => a.id)).toContain("older");
  });

  it("writes one PEM file that splits back into its certificates", () => {
    const pem = bundlePem(bundleAnchors(anchors, T0));
    expect(splitBundle(pem)).toEqual(bundleAnchors(anchors, T0).map((a) => a.certificate));
    expect(splitBundle("")).toEqual([]);
  });
});

describe("bundleConfigMap", () => {
  it("labels the bundle as LatticeGuard's trust bundle", () => {
    expect(bundleConfigMap("tb", "mcp", "PEM")).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "tb",
        namespace: "mcp",
        labels: { "app.kubernetes.io/managed-by": "latticeguard", [TRUST_BUNDLE_LABEL]: "true" },
      },
      data: { [BUNDLE_ENTRY]: "PEM" },
    });
  });
});

describe("decideCopy", () => {
  it.each<[string, CopyInput, ReturnType<typeof decideCopy>]>([
    [
      "copies into a namespace with a server",
      { hasServers: true, source: "A", copy: undefined },
      "apply",
    ],
    ["updates a stale copy", { hasServers: true, source: "A,B", copy: "A" }, "apply"],
    ["repairs an emptied copy", { hasServers: true, source: "A", copy: "" }, "apply"],
    ["leaves an equal copy alone", { hasServers: true, source: "A", copy: "A" }, "none"],
    ["waits for the source", { hasServers: true, source: undefined, copy: undefined }, "none"],
    [
      "removes the copy once no server is left",
      { hasServers: false, source: "A", copy: "A" },
      "delete",
    ],
    ["removes even an emptied copy", { hasServers: false, source: "A", copy: "" }, "delete"],
    [
      "does nothing without servers or copy",
      { hasServers: false, source: "A", copy: undefined },
      "none",
    ],
  ])("%s", (_name, input, action) => {
    expect(decideCopy(input)).toBe(action);
  });
});

import { describe, expect, it } from "vitest";
import {
  parseWorkloadSpiffeId,
  peerWorkloadIdentity,
  workloadSpiffeId,
  type WorkloadIdentity,
} from "./spiffe.ts";

const search: WorkloadIdentity = {
  trustDomain: "cluster.local",
  namespace: "mcp",
  serviceAccount: "search",
};

describe("workloadSpiffeId", () => {
  it.each<[WorkloadIdentity, string]>([
    [search, "spiffe://cluster.local/ns/mcp/sa/search"],
    [
      { trustDomain: "prod_eu-1.example.org", namespace: "a", serviceAccount: "svc.v2" },
      "spiffe://prod_eu-1.example.org/ns/a/sa/svc.v2",
    ],
  ])("%o is %s", (identity, id) => {
    expect(workloadSpiffeId(identity)).toBe(id);
    expect(parseWorkloadSpiffeId(id)).toEqual(identity);
  });

  it.each<[string, Partial<WorkloadIdentity>]>([
    ["trustDomain", { trustDomain: "Cluster.Local" }],
    ["trustDomain", { trustDomain: "" }],
    ["trustDomain", { trustDomain: "a/b" }],
    ["trustDomain", { trustDomain: "host:8443" }],
    ["namespace", { namespace: "MCP" }],
    ["namespace", { namespace: "-mcp" }],
    ["namespace", { namespace: "a.b" }],
    ["namespace", { namespace: "x".repeat(64) }],
    ["serviceAccount", { serviceAccount: "" }],
    ["serviceAccount", { serviceAccount: "a/b" }],
    ["serviceAccount", { serviceAccount: "a..b" }],
    ["serviceAccount", { serviceAccount: "x".repeat(254) }],
  ])("names `%s` in %o", (field, change) => {
    expect(() => workloadSpiffeId({ ...search, ...change })).toThrow(new RegExp(`^\`${field}\``));
  });
});

describe("parseWorkloadSpiffeId", () => {
  it.each([
    "spiffe://cluster.local/ns/mcp",
    "spiffe://cluster.local/ns/mcp/sa/search/extra",
    "spiffe://cluster.local/sa/search/ns/mcp",
    "https://cluster.local/ns/mcp/sa/search",
    "spiffe://cluster.local/ns/../sa/search",
    "spiffe://cluster.local/ns/mcp/sa/search?x=1",
    "",
  ])("refuses %j, naming `spiffeId`", (id) => {
    expect(() => parseWorkloadSpiffeId(id)).toThrow(/^`spiffeId`/);
  });
});

describe("peerWorkloadIdentity", () => {
  it("reads the one URI SAN of node:tls's subjectaltname", () => {
    const san = "DNS:search.mcp.svc, URI:spiffe://cluster.local/ns/mcp/sa/search, DNS:localhost";
    expect(peerWorkloadIdentity(san)).toEqual(search);
  });

  it.each([
    [undefined, /holds 0/],
    ["DNS:search.mcp.svc", /holds 0/],
    ["URI:spiffe://a/ns/b/sa/c, URI:spiffe://a/ns/b/sa/d", /holds 2/],
    ['URI:"spiffe://a/ns/b/sa/c, DNS:x"', /not a workload SPIFFE ID/],
    ["URI:https://example.org/", /not a workload SPIFFE ID/],
  ])("refuses %j, naming `subjectAltName`", (san, reason) => {
    expect(() => peerWorkloadIdentity(san)).toThrow(/^`subjectAltName`/);
    expect(() => peerWorkloadIdentity(san)).toThrow(reason);
  });
});

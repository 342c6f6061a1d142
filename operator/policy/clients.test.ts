import { describe, expect, it } from "vitest";
import type { MCPServer } from "../api/types.generated.ts";
import {
  clientAllowed,
  clientRules,
  formatClientRule,
  parseClientRule,
  type ClientRule,
} from "./clients.ts";

const TD = "cluster.local";
const id = (ns: string, sa: string, td = TD) => `spiffe://${td}/ns/${ns}/sa/${sa}`;

function server(clients?: MCPServer["spec"]["clients"]): Pick<MCPServer, "metadata" | "spec"> {
  return {
    metadata: { name: "search", namespace: "mcp" },
    spec: {
      selector: { matchLabels: { app: "search" } },
      port: "mcp",
      transport: "streamable-http",
      clients,
    },
  };
}

describe("clientRules", () => {
  it.each<[string, MCPServer["spec"]["clients"], ClientRule[]]>([
    [
      "no clients: the server's own namespace",
      undefined,
      [{ kind: "Namespace", namespace: "mcp" }],
    ],
    ["an empty list: nobody", [], []],
    ["a namespace", [{ namespace: "agents" }], [{ kind: "Namespace", namespace: "agents" }]],
    [
      "a service account alone: in the server's namespace",
      [{ serviceAccount: "planner" }],
      [{ kind: "ServiceAccount", namespace: "mcp", name: "planner" }],
    ],
    [
      "a service account in a namespace",
      [{ namespace: "agents", serviceAccount: "planner" }],
      [{ kind: "ServiceAccount", namespace: "agents", name: "planner" }],
    ],
    [
      "a SPIFFE ID",
      [{ spiffeId: "spiffe://other.example/x" }],
      [{ kind: "SpiffeId", id: "spiffe://other.example/x" }],
    ],
  ])("%s", (_name, clients, expected) => {
    expect(clientRules(server(clients))).toEqual(expected);
  });
});

describe("formatClientRule and parseClientRule", () => {
  it.each<ClientRule>([
    { kind: "Namespace", namespace: "agents" },
    { kind: "ServiceAccount", namespace: "agents", name: "planner.v2" },
    { kind: "SpiffeId", id: "spiffe://other.example/ns/a/sa/b" },
  ])("round-trips %o", (rule) => {
    expect(parseClientRule(formatClientRule(rule))).toEqual(rule);
  });

  it.each([
    ["agents", "must be namespace:<ns>"],
    ["namespace:Agents", "namespace name"],
    ["namespace:", "namespace name"],
    ["serviceaccount:planner", "serviceaccount:<namespace>/<name>"],
    ["serviceaccount:a/b/c", "serviceaccount:<namespace>/<name>"],
    ["spiffe:https://x/y", "spiffe://"],
    ["spiffe:spiffe://td", "spiffe://"],
    ["pod:x", "must be namespace:<ns>"],
  ])("refuses %s, naming the flag", (value, why) => {
    expect(() => parseClientRule(value)).toThrow(/`--allow`/);
    expect(() => parseClientRule(value)).toThrow(why);
  });
});

describe("clientAllowed", () => {
  const rules: ClientRule[] = [
    { kind: "Namespace", namespace: "mcp" },
    { kind: "ServiceAccount", namespace: "agents", name: "planner" },
    { kind: "SpiffeId", id: "spiffe://partner.example/ns/x/sa/y" },
  ];
  it.each([
    ["a workload of the allowed namespace", id("mcp", "anything"), true],
    ["the allowed service account", id("agents", "planner"), true],
    ["another service account of that namespace", id("agents", "writer"), false],
    ["the allowed namespace in another trust domain", id("mcp", "anything", "evil.example"), false],
    ["the exact SPIFFE ID", "spiffe://partner.example/ns/x/sa/y", true],
    ["a longer ID that starts like it", "spiffe://partner.example/ns/x/sa/y/z", false],
    ["a namespace that only starts like the allowed one", id("mcp-2", "a"), false],
    ["a non-workload ID of our trust domain", `spiffe://${TD}/ns/mcp`, false],
    ["no ID at all", "", false],
  ])("%s: %s", (_name, spiffeId, allowed) => {
    expect(clientAllowed(rules, spiffeId, TD)).toBe(allowed);
  });

  it("allows nobody under no rules", () => {
    expect(clientAllowed([], id("mcp", "a"), TD)).toBe(false);
  });
});

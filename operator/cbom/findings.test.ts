import { describe, expect, it } from "vitest";
import {
  INJECTED_ANNOTATION,
  MCP_PORT_ANNOTATION,
  TRANSPORT_ANNOTATION,
} from "../api/annotations.ts";
import { DEFAULT_POLICY, type EffectivePolicy } from "../policy/merge.ts";
import { mcpServer } from "../../webhook/testing/fixtures.ts";
import { shadowCandidates } from "../shadow/classify.ts";
import { transportOf, type PodRecord } from "./findings.ts";

const servers = [mcpServer("mcp", "weather", { app: "weather" }), mcpServer("mcp", "all", {})];
const policy: EffectivePolicy = {
  ...DEFAULT_POLICY,
  policies: ["baseline"],
  enforcement: "Audit",
  keyExchange: ["X25519MLKEM768"],
};

function pod(
  name: string,
  options: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ports?: string[];
    phase?: string;
    namespace?: string;
  } = {},
): PodRecord {
  return {
    metadata: {
      namespace: options.namespace ?? "mcp",
      name,
      labels: options.labels ?? {},
      annotations: options.annotations ?? {},
    },
    spec: {
      containers: [
        {
          name: "server",
          ports: (options.ports ?? []).map((p) => ({ name: p, containerPort: 8443 })),
        },
      ],
    },
    ...(options.phase && { status: { phase: options.phase } }),
  };
}

const transport = (group: string) => ({ [TRANSPORT_ANNOTATION]: group });

describe("transportOf", () => {
  it.each([
    {
      what: "a classical group declared by a covered pod",
      pod: pod("a", { labels: { app: "weather" }, annotations: transport("X25519") }),
      finding: {
        reason: "ClassicalGroup",
        group: "X25519",
        declared: "X25519",
        quantumSecurityLevel: 0,
        mcpservers: ["all", "weather"],
      },
    },
    {
      what: "no group declared",
      pod: pod("b", { labels: { app: "weather" } }),
      finding: { reason: "NoTransportDeclared", quantumSecurityLevel: 0 },
    },
    {
      what: "a name that is no group",
      pod: pod("c", { labels: { app: "weather" }, annotations: transport("tls-please") }),
      finding: { reason: "UnknownGroup", declared: "tls-please", quantumSecurityLevel: 0 },
    },
    {
      what: "a post-quantum group the policy does not allow",
      pod: pod("d", { labels: { app: "weather" }, annotations: transport("MLKEM1024") }),
      finding: { reason: "GroupNotAllowed", group: "MLKEM1024", quantumSecurityLevel: 5 },
    },
    {
      what: "an allowed group on a pod no MCPServer covers (a shadow server)",
      pod: pod("e", {
        namespace: "other",
        ports: ["mcp"],
        annotations: transport("X25519MLKEM768"),
      }),
      finding: {
        reason: "NotCovered",
        quantumSecurityLevel: 3,
        mcpservers: [],
        exposedBy: ['port "mcp" of container "server"'],
      },
    },
    {
      what: "a classical group on a pod marked by annotation only",
      pod: pod("f", {
        namespace: "other",
        annotations: { [MCP_PORT_ANNOTATION]: "8443", ...transport("secp256r1") },
      }),
      finding: {
        reason: "ClassicalGroup",
        group: "P-256",
        exposedBy: [`annotation ${MCP_PORT_ANNOTATION}=8443`],
      },
    },
  ])("finds $what", ({ pod: p, finding }) => {
    const { findings, claims } = transportOf([p], servers, () => policy);
    expect(findings).toEqual([
      expect.objectContaining({
        namespace: p.metadata!.namespace,
        pod: p.metadata!.name,
        enforcement: "Audit",
        policies: ["baseline"],
        ...finding,
      }),
    ]);
    expect(claims.size).toBe(0);
  });

  it.each([
    {
      what: "a pod that exposes no MCP endpoint",
      pod: pod("web", { namespace: "other", ports: ["http"] }),
    },
    { what: "a finished pod", pod: pod("job", { labels: { app: "weather" }, phase: "Succeeded" }) },
    { what: "a failed pod", pod: pod("job", { labels: { app: "weather" }, phase: "Failed" }) },
    {
      what: "a terminating pod",
      pod: {
        ...pod("old", { ports: ["mcp"] }),
        metadata: { ...pod("old").metadata, deletionTimestamp: new Date(0) },
      },
    },
  ])("skips $what", ({ pod: p }) => {
    expect(transportOf([p], servers, () => policy)).toEqual({ findings: [], claims: new Map() });
  });

  it("finds, of the pods no MCPServer covers, exactly the shadow servers discovery lists", () => {
    const only = [mcpServer("mcp", "weather", { app: "weather" })];
    const pods = [
      pod("covered", { labels: { app: "weather" }, ports: ["mcp"] }),
      pod("named", { ports: ["mcp-tls"] }),
      pod("annotated", { annotations: { [MCP_PORT_ANNOTATION]: "8443" } }),
      pod("claims-pq", { ports: ["mcp"], annotations: transport("X25519MLKEM768") }),
      pod("plain", { ports: ["http"] }),
      pod("done", { ports: ["mcp"], phase: "Succeeded" }),
      {
        ...pod("going", { ports: ["mcp"] }),
        metadata: { ...pod("going").metadata, deletionTimestamp: new Date(0) },
      },
    ];
    const uncovered = transportOf(pods, only, () => policy)
      .findings.filter((f) => f.mcpservers.length === 0)
      .map((f) => f.pod);
    const shadows = shadowCandidates("mcp", { pods, services: [], servers: only }).map(
      (c) => c.name,
    );
    expect(uncovered.sort()).toEqual(shadows.sort());
    expect(shadows.sort()).toEqual(["annotated", "claims-pq", "named"]);
  });

  it("counts a compliant pod's group toward every MCPServer that covers it, as a claim", () => {
    const pods = [
      pod("w-0", { labels: { app: "weather" }, annotations: transport("X25519MLKEM768") }),
      pod("w-1", {
        labels: { app: "weather" },
        annotations: { ...transport("X25519MLKEM768"), [INJECTED_ANNOTATION]: "weather" },
      }),
    ];
    const { findings, claims } = transportOf(pods, servers, () => policy);
    expect(findings).toEqual([]);
    expect(claims).toEqual(
      new Map([
        ["mcp/weather", { X25519MLKEM768: 2 }],
        ["mcp/all", { X25519MLKEM768: 2 }],
      ]),
    );
  });

  it.each([
    ["counts the groups of LatticeGuard's proxy sidecar toward its MCPServers", "Always", []],
    ["finds a proxy container that is no native sidecar", undefined, ["NoTransportDeclared"]],
  ])("%s", (_what, restartPolicy, reasons) => {
    const proxied = pod("w-2", { labels: { app: "weather" } });
    proxied.spec!.initContainers = [
      {
        name: "latticeguard-proxy",
        image: "ghcr.io/latticeguard/latticeguard:0.1.0",
        ...(restartPolicy && { restartPolicy }),
        args: ["proxy", "--groups=X25519MLKEM768"],
      },
    ];
    const { findings, claims } = transportOf([proxied], servers, () => policy);
    expect(findings.map((f) => f.reason)).toEqual(reasons);
    expect(claims.get("mcp/weather")).toEqual(reasons.length ? undefined : { X25519MLKEM768: 1 });
  });

  it("reads each namespace's policy, and quotes at most 64 characters of what a pod declares", () => {
    const seen: string[] = [];
    const long = "x".repeat(200);
    const { findings } = transportOf(
      [pod("a", { labels: { app: "weather" }, annotations: transport(long) })],
      servers,
      (ns) => (seen.push(ns), { ...policy, enforcement: "Warn" }),
    );
    expect(seen).toEqual(["mcp"]);
    expect(findings[0]).toMatchObject({ enforcement: "Warn", declared: "x".repeat(64) });
  });
});

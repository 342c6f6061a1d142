import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { SignatureAlgorithm } from "../../api/algorithms.ts";
import type { MCPServer } from "../../api/types.generated.ts";
import { resolvePolicy } from "../../policy/merge.ts";
import { mcpServer, policy } from "../../../webhook/testing/fixtures.ts";
import {
  allowedAlgorithms,
  checkAlgorithm,
  checkPod,
  connectingServer,
  connectTargets,
  identityPlan,
  selectingServer,
} from "./decide.ts";
import type { TokenPod } from "./token-review.ts";

const caller: TokenPod = {
  namespace: "mcp",
  serviceAccount: "search",
  name: "search-0",
  uid: "u-1",
};
const pod = (over: Partial<V1Pod["metadata"]> = {}, serviceAccountName?: string): V1Pod => ({
  metadata: { namespace: "mcp", name: "search-0", uid: "u-1", labels: { app: "search" }, ...over },
  spec: { containers: [], ...(serviceAccountName !== undefined && { serviceAccountName }) },
});
const withIdentity = (server: MCPServer, algorithm: SignatureAlgorithm): MCPServer => ({
  ...server,
  spec: { ...server.spec, identity: { algorithm } },
});

describe("checkPod", () => {
  it.each<[string, V1Pod | undefined, string | undefined]>([
    ["the same pod", pod({}, "search"), undefined],
    ["a pod that no longer exists", undefined, "PodGone"],
    ["a pod replaced under the same name", pod({ uid: "u-2" }, "search"), "PodGone"],
    ["a terminating pod", pod({ deletionTimestamp: new Date() }, "search"), "PodGone"],
    ["a pod of another service account", pod({}, "admin"), "NotBoundToPod"],
    ["a pod of the default account, token of another", pod(), "NotBoundToPod"],
  ])("%s → %s", (_name, found, reason) => {
    expect(checkPod(caller, found)?.reason).toBe(reason);
  });

  it("counts a pod without serviceAccountName as the default account", () => {
    expect(checkPod({ ...caller, serviceAccount: "default" }, pod())).toBeUndefined();
  });
});

describe("selectingServer", () => {
  const servers = [
    mcpServer("mcp", "zeta", { app: "search" }),
    mcpServer("mcp", "alpha", { app: "search" }),
    mcpServer("mcp", "other", { app: "other" }),
    mcpServer("elsewhere", "aaa", { app: "search" }),
  ];

  it("takes the first server by name in the pod's namespace that selects it", () => {
    expect(selectingServer(pod(), servers)?.metadata.name).toBe("alpha");
  });

  it("finds none when no server in the namespace selects the pod", () => {
    expect(selectingServer(pod({ labels: { app: "stray" } }), servers)).toBeUndefined();
    expect(selectingServer(pod({ namespace: "empty" }), servers)).toBeUndefined();
  });
});

describe("connectTargets", () => {
  const connecting = (value: string) => pod({ annotations: { "latticeguard.dev/connect": value } });
  it.each<[string, string[]]>([
    ["search", ["mcp/search"]],
    ["tools/planner", ["tools/planner"]],
    [" search , tools/planner,, ", ["mcp/search", "tools/planner"]],
    ["", []],
  ])("reads %j", (value, expected) => {
    expect(connectTargets(connecting(value))).toEqual(expected);
  });

  it("reads nothing from a pod without the annotation", () => {
    expect(connectTargets(pod())).toEqual([]);
  });
});

describe("connectingServer", () => {
  // The caller: service account "search" in namespace "mcp" (spiffe://cluster.local/ns/mcp/sa/search).
  const client = (value?: string) =>
    pod({
      labels: { app: "client" },
      ...(value && { annotations: { "latticeguard.dev/connect": value } }),
    });
  const servers = [
    mcpServer("mcp", "local", { app: "local" }), // no spec.clients: its own namespace
    mcpServer("tools", "open", { app: "open" }, { clients: [{ namespace: "mcp" }] }),
    mcpServer("tools", "closed", { app: "closed" }, { clients: [] }),
    mcpServer(
      "tools",
      "other-sa",
      { app: "x" },
      { clients: [{ namespace: "mcp", serviceAccount: "planner" }] },
    ),
    mcpServer(
      "tools",
      "by-id",
      { app: "y" },
      {
        clients: [{ spiffeId: "spiffe://cluster.local/ns/mcp/sa/search" }],
      },
    ),
  ];
  const decide = (value?: string) =>
    connectingServer(caller, client(value), servers, "cluster.local");
  const name = (result: ReturnType<typeof decide>) =>
    "reason" in result ? result.reason : `${result.metadata.namespace}/${result.metadata.name}`;

  it.each<[string | undefined, string]>([
    ["local", "mcp/local"],
    ["tools/open", "tools/open"],
    ["tools/by-id", "tools/by-id"],
    ["tools/closed, tools/open", "tools/open"],
    ["tools/open, local", "tools/open"],
    ["tools/closed", "ClientNotAllowed"],
    ["tools/other-sa", "ClientNotAllowed"],
    ["open", "PodNotSelected"], // a name alone is in the pod's own namespace, where there is none
    ["tools/missing", "PodNotSelected"],
    [undefined, "PodNotSelected"],
  ])("connect %j → %s", (value, expected) => {
    expect(name(decide(value))).toBe(expected);
  });

  it("names the MCPServers that do not admit the caller", () => {
    expect(decide("tools/closed, tools/missing, tools/other-sa")).toEqual({
      reason: "ClientNotAllowed",
      message:
        'spiffe://cluster.local/ns/mcp/sa/search may not call MCPServer "tools/closed", "tools/other-sa": its spec.clients does not admit it',
    });
  });

  it("keeps the refusal it always gave a pod without the annotation", () => {
    expect(decide()).toEqual({
      reason: "PodNotSelected",
      message: 'no MCPServer in namespace "mcp" selects pod "search-0"',
    });
  });

  it("matches an exact SPIFFE ID rule against the caller's ID in the issuer's trust domain", () => {
    const elsewhere = connectingServer(caller, client("tools/by-id"), servers, "other.example");
    expect("reason" in elsewhere && elsewhere.reason).toBe("ClientNotAllowed");
  });
});

describe("allowedAlgorithms and checkAlgorithm", () => {
  const server = mcpServer("mcp", "search", { app: "search" });
  const baseline = resolvePolicy([policy("baseline")], {}); // ML-DSA-65, ML-DSA-87
  const only87 = resolvePolicy(
    [policy("strict", { identity: { algorithms: ["ML-DSA-87"], ttl: "15m" } })],
    {},
  );
  const conflict = resolvePolicy(
    [
      policy("a", { identity: { algorithms: ["ML-DSA-65"], ttl: "1h" } }),
      policy("b", { identity: { algorithms: ["ML-DSA-87"], ttl: "1h" } }),
    ],
    {},
  );

  it.each<[string, MCPServer, ReturnType<typeof resolvePolicy>, SignatureAlgorithm[]]>([
    ["any the policy allows", server, baseline, ["ML-DSA-65", "ML-DSA-87"]],
    ["the server's narrowing", withIdentity(server, "ML-DSA-87"), baseline, ["ML-DSA-87"]],
    [
      "the policy's when it forbids the narrowing",
      withIdentity(server, "ML-DSA-65"),
      only87,
      ["ML-DSA-87"],
    ],
    ["nothing under a conflict over identity algorithms", server, conflict, []],
  ])("%s", (_name, s, resolution, expected) => {
    expect(allowedAlgorithms(s, resolution)).toEqual(expected);
  });

  it("lets a client hold any algorithm its own policy allows, whatever the server narrows to", () => {
    expect(allowedAlgorithms(withIdentity(server, "ML-DSA-87"), baseline, "client")).toEqual([
      "ML-DSA-65",
      "ML-DSA-87",
    ]);
  });

  it("refuses an algorithm outside the allowed ones, naming them", () => {
    const refusal = checkAlgorithm("ML-DSA-44", ["ML-DSA-87"], only87);
    expect(refusal).toEqual({
      reason: "AlgorithmNotAllowed",
      message: "the CSR's key is ML-DSA-44; this workload may hold only ML-DSA-87",
    });
    expect(checkAlgorithm("ML-DSA-87", ["ML-DSA-87"], only87)).toBeUndefined();
  });

  it("explains a conflict that allows nothing", () => {
    expect(checkAlgorithm("ML-DSA-65", [], conflict)?.message).toContain('CryptoPolicies "a", "b"');
  });
});

describe("identityPlan", () => {
  const now = new Date("2030-01-01T12:00:00Z");
  const signer = {
    notBefore: new Date("2030-01-01T00:00:00Z"),
    notAfter: new Date("2030-01-02T00:00:00Z"),
  };
  const server = mcpServer("mcp", "search", { app: "search" });
  const { policy: effective } = resolvePolicy(
    [policy("p", { identity: { algorithms: ["ML-DSA-65"], ttl: "30m" } })],
    {},
  );
  const plan = (over: Partial<Parameters<typeof identityPlan>[0]> = {}) =>
    identityPlan({
      caller,
      server,
      policy: effective,
      trustDomain: "example.org",
      clusterDomain: "cluster.local",
      now,
      signer,
      ...over,
    });

  it("names the service account and the server's Service, backdated a minute, for the policy's TTL", () => {
    expect(plan()).toEqual({
      spiffeId: "spiffe://example.org/ns/mcp/sa/search",
      dnsNames: ["search", "search.mcp", "search.mcp.svc", "search.mcp.svc.cluster.local"],
      notBefore: new Date("2030-01-01T11:59:00Z"),
      notAfter: new Date("2030-01-01T12:30:00Z"),
    });
  });

  it("gives a client identity no DNS names", () => {
    expect(plan({ role: "client" })).toMatchObject({
      spiffeId: "spiffe://example.org/ns/mcp/sa/search",
      dnsNames: [],
    });
  });

  it("uses spec.serviceName when set", () => {
    const named = { ...server, spec: { ...server.spec, serviceName: "search-svc" } };
    expect(plan({ server: named })).toMatchObject({
      dnsNames: [
        "search-svc",
        "search-svc.mcp",
        "search-svc.mcp.svc",
        "search-svc.mcp.svc.cluster.local",
      ],
    });
  });

  it("never issues for longer than --max-identity-ttl, whatever the policy says", () => {
    expect(plan({ maxTtlMs: 10 * 60_000 })).toMatchObject({
      notAfter: new Date("2030-01-01T12:10:00Z"),
    });
    expect(plan({ maxTtlMs: 24 * 3_600_000 })).toMatchObject({
      notAfter: new Date("2030-01-01T12:30:00Z"),
    });
  });

  it("stays inside the signer's validity", () => {
    const ending = {
      notBefore: new Date("2030-01-01T11:59:30Z"),
      notAfter: new Date("2030-01-01T12:10:00Z"),
    };
    expect(plan({ signer: ending })).toMatchObject({
      notBefore: ending.notBefore,
      notAfter: ending.notAfter,
    });
  });

  it.each([
    ["expired", { notBefore: signer.notBefore, notAfter: new Date("2030-01-01T11:00:00Z") }],
    ["not yet valid", { notBefore: new Date("2030-01-01T13:00:00Z"), notAfter: signer.notAfter }],
  ])("refuses NoSigner when the signer is %s", (_name, window) => {
    expect(plan({ signer: window })).toMatchObject({ reason: "NoSigner" });
  });
});

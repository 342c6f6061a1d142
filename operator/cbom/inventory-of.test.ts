import { describe, expect, it } from "vitest";
import { cryptoPolicy } from "../policy/testing.ts";
import { DEFAULTS_POLICY_NAME, inventoryOf } from "./inventory-of.ts";
import { sampleSnapshot } from "./testing.ts";

const now = new Date("2026-06-01T12:00:00Z");
const sample = await sampleSnapshot(now);

describe("inventoryOf", () => {
  const inventory = inventoryOf(sample.snapshot, now.getTime());

  it("lists every key of every MCPServer, each once", () => {
    expect(inventory.kemKeys.map((k) => k.keyId).sort()).toEqual([...sample.keyIds].sort());
    expect(inventory.kemKeys.map((k) => `${k.mcpserver}:${k.state}`).sort()).toEqual([
      "search:active",
      "weather:active",
      "weather:next",
      "weather:retiring",
    ]);
  });

  it("takes the trust domain from the signing anchor, and the identity from status", () => {
    expect(inventory.trustDomain).toBe("cluster.local");
    expect(inventory.trustAnchors).toEqual([expect.objectContaining({ position: 0 })]);
    expect(inventory.identities).toEqual([
      expect.objectContaining({ namespace: "mcp", mcpserver: "weather", algorithm: "ML-DSA-65" }),
    ]);
  });

  it("counts each server's pods and the groups its compliant pods claim", () => {
    expect(inventory.servers).toEqual([
      expect.objectContaining({
        name: "search",
        selectedPods: 1,
        compliantPods: 0,
        claimedGroups: {},
      }),
      expect.objectContaining({
        name: "weather",
        policies: ["baseline"],
        enforcement: "Audit",
        kemAlgorithm: "ML-KEM-768",
        selectedPods: 2,
        compliantPods: 1,
        claimedGroups: { X25519MLKEM768: 1 },
      }),
    ]);
  });

  it("finds the MCP pods without post-quantum transport, under their namespace's policy", () => {
    expect(inventory.findings.map((f) => [f.pod, f.reason, f.policies])).toEqual([
      ["weather-1", "ClassicalGroup", ["baseline"]],
      ["search-0", "NoTransportDeclared", ["baseline"]],
      ["shadow-0", "NotCovered", []],
    ]);
  });

  it("reports each policy's groups, and the defaults where a namespace has no policy", () => {
    expect(inventory.policies.map((p) => p.name)).toEqual(["baseline", DEFAULTS_POLICY_NAME]);
    const { findings, policies } = inventoryOf(
      {
        ...sample.snapshot,
        pods: sample.snapshot.pods.filter((p) => p.metadata?.namespace === "mcp"),
      },
      now.getTime(),
    );
    expect(findings).toHaveLength(2);
    expect(policies.map((p) => p.name)).toEqual(["baseline"]);
  });

  it("reads the webhook's serving certificate and CAs, each once", () => {
    const { webhook } = inventoryOf(
      {
        ...sample.snapshot,
        webhook: {
          ...sample.snapshot.webhook!,
          cas: [...sample.snapshot.webhook!.cas, ...sample.snapshot.webhook!.cas],
        },
      },
      now.getTime(),
    );
    expect(webhook?.serving?.subject).toBe("CN=latticeguard-webhook.lg.svc");
    expect(webhook?.cas.map((c) => c.subject)).toEqual(["CN=latticeguard-webhook-ca"]);
  });

  it.each([
    {
      what: "what could not be read",
      change: { gaps: ["could not read Secret lg/latticeguard-webhook-tls (403)"] },
      gaps: ["could not read Secret lg/latticeguard-webhook-tls (403)"],
    },
    {
      what: "a damaged keys.json",
      change: { publicKeys: { "mcp/weather-kem-public": "[1]" } },
      gaps: [
        "ConfigMap mcp/weather-kem-public: keys.json entry 0 is not a published key: left out",
      ],
    },
    {
      what: "a bundle certificate that does not parse",
      change: {
        trustBundle: {
          source: "ConfigMap lg/bundle",
          pem: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
        },
      },
      gaps: ["`ConfigMap lg/bundle[0]` is not a valid X.509 certificate: left out"],
    },
  ])("says in gaps $what", ({ change, gaps }) => {
    expect(inventoryOf({ ...sample.snapshot, ...change }, now.getTime()).gaps).toEqual(gaps);
  });

  it("resolves the strictest policy of a namespace several select", () => {
    const strict = cryptoPolicy("strict", {
      enforcement: "Enforce",
      namespaceSelector: { matchLabels: { tier: "mcp" } },
    });
    const { servers } = inventoryOf(
      {
        ...sample.snapshot,
        policies: [...sample.snapshot.policies, strict],
      },
      now.getTime(),
    );
    expect(servers[1]).toMatchObject({ policies: ["baseline", "strict"], enforcement: "Enforce" });
  });

  it("reports the enforcement a dated step has put in force, not the one before it", () => {
    const migrating = cryptoPolicy("baseline", {
      ...sample.snapshot.policies[0]!.spec,
      enforcementSchedule: {
        noticeBefore: "24h",
        steps: [{ mode: "Enforce", from: "2026-06-01T11:00:00Z" }],
      },
    });
    const at = (iso: string) =>
      inventoryOf({ ...sample.snapshot, policies: [migrating] }, Date.parse(iso));
    for (const [iso, mode] of [
      ["2026-06-01T10:59:59Z", "Audit"],
      ["2026-06-01T11:00:00Z", "Enforce"],
    ]) {
      const { servers, policies } = at(iso!);
      expect(
        servers.map((s) => s.enforcement),
        iso,
      ).toEqual([mode, mode]);
      expect(policies.find((p) => p.name === "baseline")?.enforcement, iso).toBe(mode);
    }
  });
});

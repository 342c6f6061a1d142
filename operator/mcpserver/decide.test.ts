import { describe, expect, it } from "vitest";
import type { KemAlgorithm } from "../api/algorithms.ts";
import type { MCPServerSpec } from "../api/types.generated.ts";
import { findCondition } from "../kube/conditions.ts";
import { DEFAULT_POLICY, type PolicyResolution } from "../policy/merge.ts";
import type { V1Pod } from "@kubernetes/client-node";
import { chooseAlgorithms, identityCondition, podCounts, serverConditions } from "./decide.ts";

const spec = (extra: Partial<MCPServerSpec> = {}): MCPServerSpec => ({
  selector: { matchLabels: { app: "mcp" } },
  port: "mcp",
  transport: "streamable-http",
  ...extra,
});
const resolved = (kemAlgorithms: KemAlgorithm[]): PolicyResolution => ({
  kind: "Resolved",
  policy: { ...DEFAULT_POLICY, policies: ["baseline"], kemAlgorithms },
});
const conflict: PolicyResolution = {
  kind: "Conflict",
  policy: { ...DEFAULT_POLICY, policies: ["a", "b"], kemAlgorithms: [], identityAlgorithms: [] },
  policies: ["a", "b"],
  fields: ["spec.kem.algorithms"],
  message: 'CryptoPolicies "a", "b" together allow nothing',
};

describe("chooseAlgorithms", () => {
  it.each<
    [string, MCPServerSpec, PolicyResolution, KemAlgorithm | undefined, KemAlgorithm, string[]]
  >([
    [
      "the policy's preferred KEM for a new server",
      spec(),
      resolved(["X-Wing", "ML-KEM-768"]),
      undefined,
      "X-Wing",
      [],
    ],
    [
      "the server's allowed narrowing",
      spec({ kem: { algorithm: "ML-KEM-768" } }),
      resolved(["X-Wing", "ML-KEM-768"]),
      undefined,
      "ML-KEM-768",
      [],
    ],
    [
      "the current key's algorithm while still allowed",
      spec(),
      resolved(["X-Wing", "ML-KEM-768"]),
      "ML-KEM-768",
      "ML-KEM-768",
      [],
    ],
    [
      "the preferred KEM once the current one is forbidden",
      spec(),
      resolved(["ML-KEM-1024"]),
      "ML-KEM-768",
      "ML-KEM-1024",
      [],
    ],
    [
      "the preferred KEM over a forbidden narrowing, reported",
      spec({ kem: { algorithm: "ML-KEM-512" } }),
      resolved(["ML-KEM-768"]),
      undefined,
      "ML-KEM-768",
      ["KEMAlgorithmNotAllowed"],
    ],
    [
      "the current algorithm under a conflict, reported",
      spec(),
      conflict,
      "X-Wing",
      "X-Wing",
      ["PolicyConflict"],
    ],
    [
      "the narrowing under a conflict",
      spec({ kem: { algorithm: "ML-KEM-1024" } }),
      conflict,
      undefined,
      "ML-KEM-1024",
      ["PolicyConflict"],
    ],
  ])("uses %s", (_what, s, resolution, active, kem, reasons) => {
    const choice = chooseAlgorithms(s, resolution, active);
    expect(choice.kem).toBe(kem);
    expect(choice.violations.map((v) => v.reason)).toEqual(reasons);
  });

  it("names the field, the policy and what is allowed in a violation", () => {
    const choice = chooseAlgorithms(
      spec({ kem: { algorithm: "ML-KEM-512" } }),
      resolved(["ML-KEM-768", "X-Wing"]),
      undefined,
    );
    expect(choice.violations[0]?.message).toBe(
      '`spec.kem.algorithm` ML-KEM-512 is not allowed by CryptoPolicy "baseline"; allowed: ML-KEM-768, X-Wing. Using ML-KEM-768.',
    );
  });

  it("reports a forbidden identity algorithm and uses the preferred one", () => {
    const choice = chooseAlgorithms(
      spec({ identity: { algorithm: "ML-DSA-44" } }),
      resolved(["ML-KEM-768"]),
      undefined,
    );
    expect(choice.identity).toBe(DEFAULT_POLICY.identityAlgorithms[0]);
    expect(choice.violations.map((v) => v.reason)).toEqual(["IdentityAlgorithmNotAllowed"]);
  });
});

describe("serverConditions", () => {
  const now = new Date("2026-11-21T12:00:00Z");
  const base = {
    generation: 3,
    hasActiveKey: true,
    activeAlgorithm: "ML-KEM-768",
    wantedAlgorithm: "ML-KEM-768",
    rekeyPending: false,
    violations: [],
  } as const;

  it.each([
    ["all is well", base, "True", "Ready"],
    [
      "there is no key yet",
      { ...base, hasActiveKey: false, activeAlgorithm: undefined },
      "False",
      "NoActiveKey",
    ],
    [
      "a re-key waits for the rate limit",
      { ...base, wantedAlgorithm: "ML-KEM-1024", rekeyPending: true },
      "False",
      "RekeyPending",
    ],
    [
      "the policy is broken",
      { ...base, violations: [{ reason: "PolicyConflict", message: "x" }] },
      "False",
      "PolicyConflict",
    ],
  ] as const)("Ready when %s: %s (%s)", (_what, input, status, reason) => {
    const conditions = serverConditions(undefined, input, now);
    expect(findCondition(conditions, "Ready")).toMatchObject({
      status,
      reason,
      observedGeneration: 3,
    });
    expect(conditions.map((c) => c.type)).toEqual(["Ready", "KeysReady", "PolicyCompliant"]);
  });
});

describe("identityCondition", () => {
  const now = Date.parse("2026-11-21T12:00:00Z");
  const server = (identity?: { lastIssuedNotAfter: string }) => ({
    metadata: { generation: 2 },
    status: identity
      ? {
          identity: {
            algorithm: "ML-DSA-65" as const,
            lastIssuanceTime: "2026-11-21T11:00:00Z",
            ...identity,
          },
        }
      : {},
  });
  it.each([
    ["no identity was issued", server(), "False", "NoIdentityIssued"],
    [
      "the last identity is still valid",
      server({ lastIssuedNotAfter: "2026-11-21T12:30:00Z" }),
      "True",
      "IdentityIssued",
    ],
    [
      "the last identity expired",
      server({ lastIssuedNotAfter: "2026-11-21T11:59:59Z" }),
      "False",
      "IdentityExpired",
    ],
  ])("when %s: %s (%s)", (_what, s, status, reason) => {
    const [condition] = identityCondition([], s, now);
    expect(condition).toMatchObject({
      type: "IdentityReady",
      status,
      reason,
      observedGeneration: 2,
    });
  });
});

describe("podCounts", () => {
  const IMAGE = "ghcr.io/latticeguard/latticeguard:0.1.0";
  const policy = { keyExchange: ["X25519MLKEM768" as const, "MLKEM1024" as const] };
  const pod = (
    name: string,
    app: string,
    extra: { transport?: string; proxy?: string; groups?: string } = {},
  ): V1Pod => ({
    metadata: {
      name,
      labels: { app },
      annotations: extra.transport ? { "latticeguard.dev/transport": extra.transport } : {},
    },
    ...(extra.proxy && {
      spec: {
        containers: [],
        initContainers: [
          {
            name: "latticeguard-proxy",
            image: extra.proxy,
            restartPolicy: "Always",
            args: ["proxy", `--groups=${extra.groups ?? "X25519MLKEM768"}`],
          },
        ],
      },
    }),
  });

  it("tells the proxied pods from those that only claim post-quantum transport", () => {
    const pods = [
      pod("proxied", "weather", { proxy: IMAGE }),
      pod("proxied-and-claiming", "weather", { proxy: IMAGE, transport: "MLKEM1024" }),
      pod("claiming", "weather", { transport: "X25519MLKEM768" }),
      pod("claiming-a-forbidden-group", "weather", { transport: "X25519" }),
      pod("another-image", "weather", { proxy: "example.com/x:1" }),
      pod("forbidden-groups", "weather", { proxy: IMAGE, groups: "X25519MLKEM768,X25519" }),
      pod("bare", "weather"),
      pod("not-selected", "other", { proxy: IMAGE }),
    ];
    expect(podCounts(pods, { matchLabels: { app: "weather" } }, policy, IMAGE)).toEqual({
      selected: 7,
      compliant: 3,
      proxied: 2,
      claimed: 1,
    });
    expect(podCounts(pods, { matchLabels: { app: "weather" } }, policy, undefined)).toEqual({
      selected: 7,
      compliant: 2,
      proxied: 0,
      claimed: 2,
    });
  });
});

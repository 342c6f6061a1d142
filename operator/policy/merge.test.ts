import { describe, expect, it } from "vitest";
import type { CryptoPolicySpec } from "../api/types.generated.ts";
import { DEFAULT_POLICY, inForceAt, mergePolicies, resolvePolicy } from "./merge.ts";
import { cryptoPolicy as policy } from "./testing.ts";

describe("mergePolicies", () => {
  it("applies the defaults, in Audit mode, when no policy matches", () => {
    expect(mergePolicies([])).toEqual({ kind: "Resolved", policy: DEFAULT_POLICY });
    expect(DEFAULT_POLICY.enforcement).toBe("Audit");
    expect(DEFAULT_POLICY.rotationPeriodMs).toBe(168 * 3_600_000);
  });

  it("takes one policy as it is", () => {
    const r = mergePolicies([policy("a", { enforcement: "Warn" })]);
    expect(r).toMatchObject({
      kind: "Resolved",
      policy: {
        policies: ["a"],
        enforcement: "Warn",
        kemAlgorithms: ["ML-KEM-768", "X-Wing", "ML-KEM-1024"],
        rotationPeriodMs: 168 * 3_600_000,
        gracePeriodMs: 24 * 3_600_000,
        identityTtlMs: 3_600_000,
      },
    });
  });

  it.each<[string, Partial<CryptoPolicySpec>[], Record<string, unknown>]>([
    [
      "the strongest enforcement",
      [{ enforcement: "Audit" }, { enforcement: "Enforce" }, { enforcement: "Warn" }],
      { enforcement: "Enforce" },
    ],
    [
      "Warn over Audit",
      [{ enforcement: "Audit" }, { enforcement: "Warn" }],
      { enforcement: "Warn" },
    ],
    [
      "the shortest rotation and grace periods",
      [
        { kem: { algorithms: ["ML-KEM-768"], rotationPeriod: "24h", gracePeriod: "2h" } },
        { kem: { algorithms: ["ML-KEM-768"], rotationPeriod: "48h", gracePeriod: "1h" } },
      ],
      { rotationPeriodMs: 86_400_000, gracePeriodMs: 3_600_000 },
    ],
    [
      "the shortest identity TTL",
      [
        { identity: { algorithms: ["ML-DSA-65"], ttl: "2h" } },
        { identity: { algorithms: ["ML-DSA-65", "ML-DSA-87"], ttl: "15m" } },
      ],
      { identityTtlMs: 900_000, identityAlgorithms: ["ML-DSA-65"] },
    ],
    [
      "the intersection of KEMs, in the first policy's order",
      [
        {
          kem: {
            algorithms: ["X-Wing", "ML-KEM-1024", "ML-KEM-768"],
            rotationPeriod: "1h",
            gracePeriod: "1m",
          },
        },
        { kem: { algorithms: ["ML-KEM-768", "X-Wing"], rotationPeriod: "1h", gracePeriod: "1m" } },
      ],
      { kemAlgorithms: ["X-Wing", "ML-KEM-768"] },
    ],
    [
      "the highest category, filtering every list",
      [{ minimumSecurityCategory: 3 }, { minimumSecurityCategory: 5 }],
      {
        minimumSecurityCategory: 5,
        kemAlgorithms: ["ML-KEM-1024"],
        identityAlgorithms: ["ML-DSA-87"],
        keyExchange: ["SecP384r1MLKEM1024", "MLKEM1024"],
      },
    ],
    [
      "the intersection of key-exchange groups",
      [
        { transport: { keyExchange: ["X25519MLKEM768", "MLKEM1024"] } },
        { transport: { keyExchange: ["MLKEM1024", "SecP256r1MLKEM768"] } },
      ],
      { keyExchange: ["MLKEM1024"] },
    ],
  ])("takes %s", (_what, specs, expected) => {
    const r = mergePolicies(specs.map((s, i) => policy(`p${i}`, s)));
    expect(r.kind).toBe("Resolved");
    if (r.kind === "Resolved") expect(r.policy).toMatchObject(expected);
  });

  it("orders by policy name, whatever order the cache lists them in", () => {
    const a = policy("a", {
      kem: { algorithms: ["ML-KEM-1024", "ML-KEM-768"], rotationPeriod: "1h", gracePeriod: "1m" },
    });
    const b = policy("b", {
      kem: { algorithms: ["ML-KEM-768", "ML-KEM-1024"], rotationPeriod: "1h", gracePeriod: "1m" },
    });
    expect(mergePolicies([b, a])).toEqual(mergePolicies([a, b]));
    const r = mergePolicies([b, a]);
    if (r.kind === "Resolved")
      expect(r.policy.kemAlgorithms).toEqual(["ML-KEM-1024", "ML-KEM-768"]);
  });

  it("reports a conflict naming the policies and the empty fields", () => {
    const r = mergePolicies([
      policy("only-xwing", {
        kem: { algorithms: ["X-Wing"], rotationPeriod: "1h", gracePeriod: "1m" },
      }),
      policy("only-1024", {
        kem: { algorithms: ["ML-KEM-1024"], rotationPeriod: "1h", gracePeriod: "1m" },
      }),
    ]);
    expect(r).toMatchObject({
      kind: "Conflict",
      policies: ["only-1024", "only-xwing"],
      fields: ["spec.kem.algorithms"],
      message:
        'CryptoPolicies "only-1024", "only-xwing" together allow nothing for `spec.kem.algorithms` at security category 3 or above',
    });
  });

  it("reports a conflict when the highest category removes what another policy allows", () => {
    const r = mergePolicies([
      policy("cat5", {
        minimumSecurityCategory: 5,
        kem: { algorithms: ["ML-KEM-1024"], rotationPeriod: "1h", gracePeriod: "1m" },
        identity: { algorithms: ["ML-DSA-87"], ttl: "1h" },
        transport: { keyExchange: ["MLKEM1024"] },
      }),
      policy("fast", { identity: { algorithms: ["ML-DSA-65"], ttl: "1h" } }),
    ]);
    expect(r).toMatchObject({ kind: "Conflict", fields: ["spec.identity.algorithms"] });
  });
});

describe("resolvePolicy", () => {
  const baseline = policy("baseline");
  const restricted = policy("restricted", {
    namespaceSelector: { matchLabels: { "latticeguard.dev/tier": "restricted" } },
    enforcement: "Enforce",
    minimumSecurityCategory: 5,
  });

  it("merges only the policies that select the namespace", () => {
    const plain = resolvePolicy([baseline, restricted], { team: "a" });
    expect(plain).toMatchObject({
      kind: "Resolved",
      policy: { policies: ["baseline"], enforcement: "Audit" },
    });
    const strict = resolvePolicy([baseline, restricted], { "latticeguard.dev/tier": "restricted" });
    expect(strict).toMatchObject({
      kind: "Resolved",
      policy: {
        policies: ["baseline", "restricted"],
        enforcement: "Enforce",
        kemAlgorithms: ["ML-KEM-1024"],
      },
    });
  });
});

describe("enforcement schedules", () => {
  const WARN_AT = "2027-01-01T00:00:00Z";
  const ENFORCE_AT = "2028-01-01T00:00:00Z";
  const staged = policy("staged", {
    enforcementSchedule: {
      steps: [
        { mode: "Warn", from: WARN_AT },
        { mode: "Enforce", from: ENFORCE_AT },
      ],
      noticeBefore: "24h",
    },
  });

  it("merges the schedules of every policy, the strictest winning at every instant", () => {
    const r = mergePolicies([staged, policy("warn", { enforcement: "Warn" })]);
    expect(r.policy.enforcement).toBe("Warn");
    expect(r.policy.schedule).toEqual([{ mode: "Enforce", from: Date.parse(ENFORCE_AT) }]);
  });

  it.each<[string, string, string, number]>([
    ["before any step", "2026-12-31T23:59:59.999Z", "Audit", 2],
    ["at the first step", WARN_AT, "Warn", 1],
    ["at the last step", ENFORCE_AT, "Enforce", 0],
  ])("gives the mode in force %s", (_, at, mode, left) => {
    const r = inForceAt(mergePolicies([staged]), Date.parse(at));
    expect(r.policy.enforcement).toBe(mode);
    expect(r.policy.schedule).toHaveLength(left);
  });

  it("returns the resolution itself while no step is taken", () => {
    const r = mergePolicies([staged]);
    expect(inForceAt(r, Date.parse(WARN_AT) - 1)).toBe(r);
  });
});

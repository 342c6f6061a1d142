import { describe, expect, it } from "vitest";
import type { CryptoPolicy } from "../operator/api/types.generated.ts";
import { staticView } from "./cluster-view.ts";
import { validateCryptoPolicy } from "./cryptopolicy-validator.ts";
import { namespace, policy } from "./testing/fixtures.ts";

const kem = (algorithms: CryptoPolicy["spec"]["kem"]["algorithms"]) => ({
  algorithms,
  rotationPeriod: "1h",
  gracePeriod: "1m",
});
const namespaces = [
  namespace("shop", { tier: "restricted" }),
  namespace("payments", { tier: "restricted" }),
  namespace("blog", { tier: "open" }),
];
const restricted = policy("restricted", {
  namespaceSelector: { matchLabels: { tier: "restricted" } },
  kem: kem(["ML-KEM-1024"]),
});

function run(p: CryptoPolicy, existing: CryptoPolicy[], old?: CryptoPolicy, all = namespaces) {
  const view = staticView({ namespaces: all, policies: existing, servers: [] });
  return validateCryptoPolicy(p, old, old ? "UPDATE" : "CREATE", {
    namespace: undefined,
    name: p.metadata.name,
    kind: "CryptoPolicy",
    cluster: view,
    now: Date.parse("2030-01-01T00:00:00Z"),
  });
}

describe("validateCryptoPolicy", () => {
  it("admits a policy that leaves every namespace something", () => {
    expect(run(policy("baseline"), [restricted])).toEqual({ errors: [], warnings: [] });
  });

  it("admits, with a warning naming the namespaces, a policy that empties an intersection", () => {
    const v = run(policy("hybrid", { kem: kem(["X-Wing"]) }), [restricted]);
    expect(v.errors).toEqual([]);
    expect(v.warnings).toEqual([
      'CryptoPolicy "hybrid" together with "restricted" leaves 2 namespace(s) with nothing allowed for spec.kem.algorithms: payments, shop; MCP endpoints there are denied under Enforce',
    ]);
  });

  it("counts only namespaces the policy selects", () => {
    const v = run(
      policy("hybrid", {
        namespaceSelector: { matchLabels: { tier: "open" } },
        kem: kem(["X-Wing"]),
      }),
      [restricted],
    );
    expect(v.warnings).toEqual([]);
  });

  it("judges an update against the other policies, not its own old version", () => {
    const old = policy("restricted", {
      namespaceSelector: { matchLabels: { tier: "restricted" } },
      kem: kem(["ML-KEM-768"]),
    });
    expect(run(restricted, [old], old).warnings).toEqual([]);
  });

  it("says which namespaces were already in conflict", () => {
    const a = policy("a", { kem: kem(["ML-KEM-768"]) });
    const v = run(policy("hybrid", { kem: kem(["X-Wing"]) }), [a, restricted]);
    expect(v.warnings[0]).toContain('together with "a", "restricted" leaves 3 namespace(s)');
    const again = run(
      policy("hybrid", { kem: kem(["X-Wing"]) }),
      [a, restricted],
      policy("hybrid", { kem: kem(["ML-KEM-768"]) }),
    );
    expect(again.warnings[0]).toContain("(2 of them already had none)");
  });

  it("shows ten namespaces and counts the rest", () => {
    const many = Array.from({ length: 13 }, (_, i) =>
      namespace(`ns-${String(i).padStart(2, "0")}`),
    );
    const v = run(
      policy("x", { kem: kem(["X-Wing"]) }),
      [policy("y", { kem: kem(["ML-KEM-768"]) })],
      undefined,
      many,
    );
    expect(v.warnings[0]).toContain("ns-09 and 3 more");
  });

  it("denies a list without a name of the category in force, as the CRD's rule words it", () => {
    const v = run(policy("weak", { kem: kem(["ML-KEM-512"]) }), [restricted]);
    expect(v.errors).toEqual([
      {
        field: "spec.kem.algorithms",
        message:
          "`kem.algorithms` must include an algorithm of at least `minimumSecurityCategory` (3, the default): ML-KEM-768, ML-KEM-1024 or X-Wing",
      },
    ]);
    const strict = policy("weak", {
      minimumSecurityCategory: 5,
      identity: { algorithms: ["ML-DSA-65"], ttl: "1h" },
    });
    expect(run(strict, []).errors).toEqual([
      {
        field: "spec.identity.algorithms",
        message:
          "`identity.algorithms` must include an algorithm of at least `minimumSecurityCategory` (5): ML-DSA-87",
      },
    ]);
  });

  it("throws (denies) on an object without spec", () => {
    expect(() => run({ metadata: { name: "x" } } as CryptoPolicy, [])).toThrow("must be set");
  });
});

describe("validateCryptoPolicy's enforcement schedule", () => {
  it("denies a step in the past, naming the field", () => {
    const p = policy("staged", {
      enforcementSchedule: {
        steps: [{ mode: "Warn", from: "2029-01-01T00:00:00Z" }],
        noticeBefore: "1h",
      },
    });
    expect(run(p, []).errors.map((e) => e.field)).toEqual([
      "spec.enforcementSchedule.steps[0].from",
    ]);
  });

  it("admits an update of a policy whose steps have passed", () => {
    const p = policy("staged", {
      enforcementSchedule: {
        steps: [{ mode: "Warn", from: "2029-01-01T00:00:00Z" }],
        noticeBefore: "1h",
      },
    });
    const changed = { ...p, metadata: { ...p.metadata, labels: { team: "a" } } };
    expect(run(changed, [p], p).errors).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import type { CryptoPolicy, MCPServer } from "../operator/api/types.generated.ts";
import { staticView } from "./cluster-view.ts";
import { validateMCPServer } from "./mcpserver-validator.ts";
import { mcpServer, namespace, policy } from "./testing/fixtures.ts";
import type { Operation } from "./types.ts";

const NS = "shop";
const kem = (algorithms: CryptoPolicy["spec"]["kem"]["algorithms"]) => ({
  algorithms,
  rotationPeriod: "1h",
  gracePeriod: "1m",
});
const only1024 = (enforcement: "Enforce" | "Warn" | "Audit") =>
  policy(`only1024-${enforcement.toLowerCase()}`, { enforcement, kem: kem(["ML-KEM-1024"]) });

function run(
  server: MCPServer,
  policies: CryptoPolicy[],
  operation: Operation = "CREATE",
  old?: MCPServer,
) {
  const view = staticView({ namespaces: [namespace(NS)], policies, servers: [] });
  return validateMCPServer(server, old, operation, {
    namespace: NS,
    name: server.metadata.name,
    kind: "MCPServer",
    cluster: view,
    now: Date.parse("2030-01-01T00:00:00Z"),
  });
}
const narrowed = (algorithm: "ML-KEM-768" | "ML-KEM-1024", identity?: "ML-DSA-44" | "ML-DSA-87") =>
  mcpServer(
    NS,
    "weather",
    { app: "weather" },
    { kem: { algorithm }, ...(identity && { identity: { algorithm: identity } }) },
  );

describe("validateMCPServer", () => {
  it("admits a server without narrowing", () => {
    expect(run(mcpServer(NS, "weather", { app: "w" }), [only1024("Enforce")]).errors).toEqual([]);
  });

  it("admits a narrowing the policy allows", () => {
    expect(run(narrowed("ML-KEM-1024"), [only1024("Enforce")])).toMatchObject({
      errors: [],
      warnings: [],
    });
  });

  it("denies a forbidden narrowing under Enforce, one cause per field, naming the allowed algorithms", () => {
    const p = policy("strict", {
      enforcement: "Enforce",
      kem: kem(["ML-KEM-1024"]),
      minimumSecurityCategory: 5,
      identity: { algorithms: ["ML-DSA-87"], ttl: "1h" },
    });
    const v = run(
      mcpServer(
        NS,
        "weather",
        { app: "w" },
        { kem: { algorithm: "ML-KEM-768" }, identity: { algorithm: "ML-DSA-65" } },
      ),
      [p],
    );
    expect(v.errors).toEqual([
      {
        field: "spec.kem.algorithm",
        message:
          'ML-KEM-768 is not allowed by CryptoPolicy "strict"; must be one of ML-KEM-1024, or unset to use the policy\'s preferred KEM',
      },
      {
        field: "spec.identity.algorithm",
        message:
          'ML-DSA-65 is not allowed by CryptoPolicy "strict"; must be one of ML-DSA-87, or unset',
      },
    ]);
  });

  it.each(["Warn", "Audit"] as const)("warns under %s", (mode) => {
    const v = run(narrowed("ML-KEM-768"), [only1024(mode)]);
    expect(v.errors).toEqual([]);
    expect(v.warnings).toEqual([
      expect.stringMatching(
        /^MCPServer "weather": spec\.kem\.algorithm: ML-KEM-768 is not allowed/,
      ),
    ]);
    expect(v.violation).toBe(true);
    expect(v.auditAnnotations !== undefined).toBe(mode === "Audit");
  });

  it("warns, not denies, an update that keeps a narrowing the policy has since forbidden", () => {
    const server = narrowed("ML-KEM-768");
    const relabelled = { ...server, metadata: { ...server.metadata, labels: { team: "a" } } };
    const v = run(relabelled, [only1024("Enforce")], "UPDATE", server);
    expect(v.errors).toEqual([]);
    expect(v.warnings[0]).toContain("(unchanged, not denied)");
    expect(
      run(narrowed("ML-KEM-768"), [only1024("Enforce")], "UPDATE", narrowed("ML-KEM-1024")).errors,
    ).toHaveLength(1);
  });

  it("only warns about a conflict between the namespace's policies", () => {
    const v = run(mcpServer(NS, "weather", { app: "w" }), [
      policy("a", { enforcement: "Enforce", kem: kem(["ML-KEM-768"]) }),
      policy("b", { kem: kem(["ML-KEM-1024"]) }),
    ]);
    expect(v.errors).toEqual([]);
    expect(v.warnings[0]).toContain('CryptoPolicies "a", "b" together allow nothing');
  });

  it("throws (denies) on an object without spec", () => {
    expect(() => run({ metadata: { name: "x" } } as MCPServer, [])).toThrow(
      "`spec` must be an object",
    );
  });
});

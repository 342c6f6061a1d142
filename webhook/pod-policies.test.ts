import { describe, expect, it } from "vitest";
import { podBody, policy } from "./testing/fixtures.ts";
import {
  AUDIT,
  ENFORCE,
  NS,
  PQ,
  SELECT,
  WARN,
  fields,
  runPodValidator,
} from "./testing/run-pod.ts";

describe("policy intersections", () => {
  const strict = policy("strict", {
    ...SELECT,
    transport: { keyExchange: ["SecP384r1MLKEM1024", "MLKEM1024"] },
  });
  it("allows only what every policy allows, naming them all", () => {
    const v = runPodValidator("Pod", podBody({ labels: { app: "weather" }, annotations: PQ }), {
      policies: [ENFORCE, strict],
    });
    expect(fields(v)).toEqual(["metadata.annotations[latticeguard.dev/transport]"]);
    expect(v.errors[0]!.message).toContain('is not allowed by CryptoPolicies "enforce", "strict"');
    expect(v.errors[0]!.message).toMatch(/one of SecP384r1MLKEM1024, MLKEM1024$/);
  });

  it("admits a group in the intersection", () => {
    const body = podBody({
      labels: { app: "weather" },
      annotations: { "latticeguard.dev/transport": "MLKEM1024" },
    });
    expect(runPodValidator("Pod", body, { policies: [ENFORCE, strict] }).errors).toEqual([]);
  });

  it("raises the category: the strongest minimum filters the groups", () => {
    const cat5 = policy("cat5", {
      ...SELECT,
      minimumSecurityCategory: 5,
      kem: { algorithms: ["ML-KEM-1024"], rotationPeriod: "1h", gracePeriod: "1m" },
      identity: { algorithms: ["ML-DSA-87"], ttl: "1h" },
    });
    const v = runPodValidator("Pod", podBody({ labels: { app: "weather" }, annotations: PQ }), {
      policies: [ENFORCE, cat5],
    });
    expect(v.errors[0]!.message).toMatch(/one of SecP384r1MLKEM1024, MLKEM1024$/);
  });

  it("takes the strongest enforcement", () => {
    const v = runPodValidator("Pod", podBody({ labels: { app: "weather" } }), {
      policies: [AUDIT, WARN],
    });
    expect(v.mode).toBe("Warn");
  });

  it("denies under a conflict, naming the conflicting policies", () => {
    const other = policy("other", { ...SELECT, transport: { keyExchange: ["X25519MLKEM768"] } });
    const only1024 = policy("only1024", { ...SELECT, transport: { keyExchange: ["MLKEM1024"] } });
    const v = runPodValidator("Pod", podBody({ labels: { app: "weather" }, annotations: PQ }), {
      policies: [ENFORCE, other, only1024],
    });
    expect(fields(v)).toEqual(["metadata.namespace"]);
    expect(v.errors[0]!.message).toContain(
      'CryptoPolicies "enforce", "only1024", "other" together allow nothing',
    );
  });

  it("denies under a KEM conflict too, and still checks the transport", () => {
    const a = policy("a", {
      ...SELECT,
      enforcement: "Enforce",
      kem: { algorithms: ["ML-KEM-768"], rotationPeriod: "1h", gracePeriod: "1m" },
    });
    const b = policy("b", {
      ...SELECT,
      kem: { algorithms: ["ML-KEM-1024"], rotationPeriod: "1h", gracePeriod: "1m" },
    });
    const v = runPodValidator("Pod", podBody({ labels: { app: "weather" } }), { policies: [a, b] });
    expect(fields(v)).toEqual([
      "metadata.namespace",
      "metadata.annotations[latticeguard.dev/transport]",
    ]);
  });

  it("applies the defaults in Audit mode where no policy selects the namespace", () => {
    const elsewhere = policy("elsewhere", {
      namespaceSelector: { matchLabels: { tier: "none" } },
      enforcement: "Enforce",
    });
    const v = runPodValidator("Pod", podBody({ labels: { app: "other" } }), {
      policies: [elsewhere],
    });
    expect(v).toMatchObject({ errors: [], mode: "Audit", violation: true });
    expect(v.auditAnnotations?.policies).toBe("default");
    expect(v.events?.[0]?.message).toContain("the default policy");
  });
});

describe("modes", () => {
  const bad = podBody({ labels: { app: "weather" } });
  it("Warn admits with one warning per field and an Event on the covering MCPServer", () => {
    const v = runPodValidator("Pod", bad, { policies: [WARN] });
    expect(v).toMatchObject({ errors: [], mode: "Warn", violation: true });
    expect(v.warnings).toHaveLength(1);
    expect(v.warnings[0]).toMatch(
      /^Pod "web": metadata\.annotations\[latticeguard\.dev\/transport\]: must name/,
    );
    expect(v.events?.map((e) => e.target.metadata?.name)).toEqual(["weather"]);
    expect(v.auditAnnotations).toBeUndefined();
  });

  it("Audit admits with audit annotations and an Event, and no warnings", () => {
    const v = runPodValidator("Pod", bad, { policies: [AUDIT] });
    expect(v).toMatchObject({ errors: [], warnings: [], mode: "Audit", violation: true });
    expect(v.auditAnnotations).toEqual({
      violation: expect.stringContaining(
        "metadata.annotations[latticeguard.dev/transport]: must name",
      ) as string,
      policies: "audit",
    });
    expect(v.events).toHaveLength(1);
  });

  it("records on the namespace when no MCPServer covers the pod", () => {
    const v = runPodValidator("Pod", podBody({ labels: { app: "other" } }), { policies: [AUDIT] });
    expect(v.events?.[0]?.target).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NS, namespace: NS, uid: `uid-${NS}` },
    });
  });

  it.each([
    ["Enforce", ENFORCE],
    ["Warn", WARN],
    ["Audit", AUDIT],
  ] as const)("%s admits a compliant pod silently, reporting its claim", (mode, p) => {
    const v = runPodValidator("Pod", podBody({ labels: { app: "weather" }, annotations: PQ }), {
      policies: [p],
    });
    expect(v).toEqual({ errors: [], warnings: [], mode, transport: "claim" });
  });
});

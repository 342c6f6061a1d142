import { describe, expect, it } from "vitest";
import type { ShadowCandidate } from "./classify.ts";
import {
  LISTED_SHADOWS,
  countsByNamespace,
  discoveryKey,
  discoveryMessage,
  shadowStatus,
  type JudgedShadow,
} from "./report.ts";

const candidate = (
  namespace: string,
  name: string,
  kind: "Pod" | "Service" = "Pod",
): ShadowCandidate => ({
  kind,
  namespace,
  name,
  uid: `uid-${name}`,
  port: 8080,
  reason: "PortName",
  message: 'port "mcp" of container "web"',
  target: { host: "10.0.0.1", port: 8080, uid: `uid-${name}` },
});
const judged = (c: ShadowCandidate, state: JudgedShadow["state"] = "suspected"): JudgedShadow => ({
  candidate: c,
  state,
});

describe("shadowStatus", () => {
  it("is empty for no shadows", () => {
    expect(shadowStatus([])).toEqual({ count: 0, suspected: 0, confirmed: 0, servers: [] });
  });

  it("counts both states and lists confirmed first, then by namespace, kind and name", () => {
    const status = shadowStatus([
      judged(candidate("b", "x")),
      judged(candidate("a", "z", "Service")),
      judged(candidate("a", "y")),
      judged(candidate("c", "w"), "confirmed"),
    ]);
    expect(status).toMatchObject({ count: 4, suspected: 3, confirmed: 1 });
    expect(status.servers.map((s) => `${s.namespace}/${s.kind}/${s.name}/${s.state}`)).toEqual([
      "c/Pod/w/confirmed",
      "a/Pod/y/suspected",
      "a/Service/z/suspected",
      "b/Pod/x/suspected",
    ]);
    expect(status.servers[0]).toEqual({
      kind: "Pod",
      namespace: "c",
      name: "w",
      port: 8080,
      state: "confirmed",
      reason: "PortName",
      message: 'port "mcp" of container "web"',
    });
  });

  it(`lists at most ${LISTED_SHADOWS} but counts them all`, () => {
    const many = Array.from({ length: LISTED_SHADOWS + 5 }, (_, i) =>
      judged(candidate("a", `p${String(i).padStart(3, "0")}`)),
    );
    const status = shadowStatus(many);
    expect(status.count).toBe(LISTED_SHADOWS + 5);
    expect(status.servers).toHaveLength(LISTED_SHADOWS);
  });

  it("says how a confirmed one answered: its scheme and TLS group", () => {
    const tls = {
      ...judged(candidate("a", "x"), "confirmed"),
      answer: { scheme: "https" as const, tlsGroup: "x25519" },
    };
    const plain = {
      ...judged(candidate("a", "y"), "confirmed"),
      answer: { scheme: "http" as const },
    };
    const [first, second] = shadowStatus([tls, plain]).servers;
    expect(first).toMatchObject({ name: "x", scheme: "https", tlsGroup: "x25519" });
    expect(second).not.toHaveProperty("tlsGroup");
    expect(shadowStatus([plain]).servers[0]).toMatchObject({ scheme: "http" });
    expect(shadowStatus([judged(candidate("a", "z"))]).servers[0]).not.toHaveProperty("scheme");
  });

  it("leaves out a port it does not know", () => {
    const { port: _port, ...noPort } = candidate("a", "p");
    expect(shadowStatus([judged(noPort)]).servers[0]).not.toHaveProperty("port");
  });
});

describe("countsByNamespace", () => {
  it("counts each namespace's states", () => {
    const counts = countsByNamespace([
      judged(candidate("a", "x")),
      judged(candidate("a", "y"), "confirmed"),
      judged(candidate("b", "z")),
    ]);
    expect(Object.fromEntries(counts)).toEqual({
      a: { suspected: 1, confirmed: 1 },
      b: { suspected: 1, confirmed: 0 },
    });
  });
});

describe("discoveries", () => {
  it("are keyed by object UID and state", () => {
    expect(discoveryKey(judged(candidate("a", "x"), "confirmed"))).toBe("Pod/a/x/uid-x/confirmed");
    expect(discoveryKey(judged(candidate("a", "x")))).not.toBe(
      discoveryKey(judged(candidate("a", "x"), "confirmed")),
    );
  });

  it("say why, and where it answered once confirmed", () => {
    expect(discoveryMessage(judged(candidate("a", "x")))).toBe(
      'No MCPServer covers this Pod, which looks like an MCP server: port "mcp" of container "web"',
    );
    expect(discoveryMessage(judged(candidate("a", "x"), "confirmed"))).toMatch(
      /; it answered MCP initialize on 10\.0\.0\.1:8080$/,
    );
    const answered = (answer: JudgedShadow["answer"]) =>
      discoveryMessage({ ...judged(candidate("a", "x"), "confirmed"), answer });
    expect(answered({ scheme: "http" })).toMatch(/on 10\.0\.0\.1:8080 over plain HTTP$/);
    expect(answered({ scheme: "https", tlsGroup: "x25519" })).toMatch(
      /on 10\.0\.0\.1:8080 over TLS \(group x25519\)$/,
    );
  });
});

import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { serverEndpoints } from "./endpoints.ts";

const policy = { keyExchange: ["X25519MLKEM768" as const] };
const server = { spec: { selector: { matchLabels: { app: "w" } }, port: "mcp" } } as never;

function pod(name: string, extra: Partial<V1Pod> = {}, annotations = {}): V1Pod {
  return {
    metadata: { name, labels: { app: "w" }, annotations },
    spec: { containers: [{ name: "s", ports: [{ name: "mcp", containerPort: 8443 }] }] },
    status: { podIP: "10.0.0.1" },
    ...extra,
  };
}

describe("serverEndpoints", () => {
  it("takes pod IPs on the named port, skips what has no endpoint, marks claims", () => {
    const pods = [
      pod("b", {}, { "latticeguard.dev/transport": "X25519MLKEM768" }),
      pod("a"),
      pod("no-ip", { status: {} }),
      pod("no-port", { spec: { containers: [{ name: "s" }] } }),
      { ...pod("other"), metadata: { name: "other", labels: { app: "x" } } },
    ];
    expect(serverEndpoints(server, pods, policy, undefined)).toEqual([
      { pod: "a", host: "10.0.0.1", port: 8443, claimed: false },
      { pod: "b", host: "10.0.0.1", port: 8443, claimed: true },
    ]);
  });

  it("takes a numeric port as it is", () => {
    const numeric = { spec: { selector: { matchLabels: { app: "w" } }, port: 9000 } } as never;
    expect(serverEndpoints(numeric, [pod("a")], policy, undefined)[0]?.port).toBe(9000);
  });
});

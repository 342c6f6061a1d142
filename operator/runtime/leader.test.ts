import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { LEADER_ELECTION_DEFAULTS, LeaderElector } from "./leader.ts";

const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: "c", server: "https://127.0.0.1:1" }],
  users: [{ name: "u" }],
  contexts: [{ name: "x", cluster: "c", user: "u" }],
  currentContext: "x",
});
const lease = { namespace: "latticeguard-system", name: "latticeguard" };

describe("LeaderElector", () => {
  it("defaults to cert-manager's timings, which it accepts", () => {
    expect(LEADER_ELECTION_DEFAULTS).toEqual({
      leaseDurationMs: 60_000,
      renewDeadlineMs: 40_000,
      retryPeriodMs: 15_000,
    });
    expect(() => new LeaderElector(kc, lease)).not.toThrow();
    expect(() => new LeaderElector(kc, { ...lease, leaseDurationMs: undefined })).not.toThrow();
  });

  it.each([
    [{ retryPeriodMs: 0 }, /`retryPeriodMs` must be positive/],
    [{ renewDeadlineMs: 18_000 }, /`renewDeadlineMs` must exceed 1.2 x `retryPeriodMs`/],
    [{ leaseDurationMs: 40_000 }, /`leaseDurationMs` must exceed `renewDeadlineMs`/],
    [{ leaseDurationMs: 60_500 }, /`leaseDurationMs` must be whole seconds/],
  ])("rejects the timings %j, naming the field", (timings, message) => {
    expect(() => new LeaderElector(kc, { ...lease, ...timings })).toThrow(message);
  });

  it("makes a unique identity per replica unless given one", () => {
    const [a, b] = [new LeaderElector(kc, lease), new LeaderElector(kc, lease)];
    expect(a.identity).not.toBe(b.identity);
    expect(new LeaderElector(kc, { ...lease, identity: "pod-a" }).identity).toBe("pod-a");
  });

  it("is not leader before it starts, and stops cleanly without having started", async () => {
    const elector = new LeaderElector(kc, lease);
    expect(elector.isLeader).toBe(false);
    await elector.stop();
    elector.start();
    expect(elector.isLeader).toBe(false);
  });
});

/**
 * Leader election against the real API server, with short timings: of several candidates exactly one
 * leads; a leader that stops renewing without releasing (its connection cut, as in a crash or a
 * partition) is replaced once its lease has expired, and never before; a leader that stops gracefully
 * hands over at the next retry, long before the lease would expire.
 */
import { CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { LeaderElector, type LeaderElectionOptions } from "../../operator/runtime/leader.ts";
import { FaultProxy } from "../../operator/runtime/testing/fault-proxy.ts";
import { testNamespace } from "./harness.ts";

const log = pino({ level: "silent" });
const fast = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

let kc: KubeConfig;
let namespace: string;
let leases: CoordinationV1Api;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ({ kc, namespace } = await testNamespace("rt-leader"));
  leases = kc.makeApiClient(CoordinationV1Api);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What happened, in order, with wall-clock times. */
type Event = { at: number; who: string; what: "started" | "stopped" };

function candidates(lease: string, ids: string[], timings = fast, config = kc) {
  const events: Event[] = [];
  const electors = ids.map((id) => {
    const options: LeaderElectionOptions = {
      namespace,
      name: lease,
      identity: id,
      log,
      ...timings,
      onStartedLeading: () => void events.push({ at: Date.now(), who: id, what: "started" }),
      onStoppedLeading: () => void events.push({ at: Date.now(), who: id, what: "stopped" }),
    };
    const elector = new LeaderElector(config, options);
    cleanups.push(() => elector.stop());
    return elector;
  });
  return { electors, events };
}

/** Who leads at each moment, from the callbacks; fails if two ever lead at once. */
function assertOneLeaderAtATime(events: Event[]): void {
  let leader: string | undefined;
  for (const { who, what } of events) {
    if (what === "started") {
      expect(leader, `${who} started leading while ${leader} led`).toBeUndefined();
      leader = who;
    } else if (leader === who) leader = undefined;
  }
}

async function holder(lease: string): Promise<string | undefined> {
  return (await leases.readNamespacedLease({ name: lease, namespace })).spec?.holderIdentity;
}

describe("leader election", () => {
  it("lets exactly one of three racing candidates lead, and records it in the Lease", async () => {
    const { electors, events } = candidates("race", ["a", "b", "c"]);
    for (const elector of electors) elector.start();
    await vi.waitFor(() => expect(electors.filter((e) => e.isLeader)).toHaveLength(1), {
      timeout: 10_000,
    });
    // Several renewals later there is still exactly one leader, and the Lease names it.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const leaders = electors.filter((e) => e.isLeader);
    expect(leaders).toHaveLength(1);
    expect(await holder("race")).toBe(leaders[0]?.identity);
    assertOneLeaderAtATime(events);
  });

  it("replaces a leader that stops renewing without releasing, once its lease has expired", async () => {
    const proxy = await FaultProxy.start(kc);
    cleanups.push(() => proxy.close());
    const { electors: [a] = [], events } = candidates("crash", ["a"], fast, proxy.kubeConfig);
    const {
      electors: [b],
      events: bEvents,
    } = candidates("crash", ["b"]);
    a!.start();
    await vi.waitFor(() => expect(a!.isLeader).toBe(true), { timeout: 10_000 });
    b!.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(b!.isLeader).toBe(false);

    const cutAt = Date.now();
    proxy.cut();
    // a can no longer renew, and has not released: the Lease still names it.
    expect(await holder("crash")).toBe("a");
    await vi.waitFor(() => expect(b!.isLeader).toBe(true), { timeout: 20_000 });
    expect(a!.isLeader).toBe(false);
    expect(await holder("crash")).toBe("b");

    const all = [...events, ...bEvents].sort((x, y) => x.at - y.at);
    assertOneLeaderAtATime(all);
    const bStarted = bEvents.find((e) => e.what === "started")!.at;
    // b waited for the lease to expire: a full lease duration after the last renewal it saw, which
    // came at most one retry period before the cut. Delays only make this later, never earlier.
    expect(bStarted - cutAt).toBeGreaterThanOrEqual(
      fast.leaseDurationMs - fast.retryPeriodMs - 100,
    );
  });

  it("hands over at once when the leader stops gracefully, without waiting for the lease to expire", async () => {
    // A long lease, so that a handover at expiry and one at the next retry are far apart.
    const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 };
    const { electors, events } = candidates("graceful", ["a", "b"], timings);
    const [a, b] = electors as [LeaderElector, LeaderElector];
    a.start();
    await vi.waitFor(() => expect(a.isLeader).toBe(true), { timeout: 10_000 });
    b.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const stoppedAt = Date.now();
    await a.stop();
    expect(a.isLeader).toBe(false);
    await vi.waitFor(() => expect(b.isLeader).toBe(true), { timeout: 10_000 });
    const startedAt = events.find((e) => e.who === "b" && e.what === "started")!.at;
    // At most one jittered retry (2.2 x 500 ms) plus request time; expiry would take 15 s.
    expect(startedAt - stoppedAt).toBeLessThan(timings.leaseDurationMs / 2);
    assertOneLeaderAtATime(events);
    const lease = await leases.readNamespacedLease({ name: "graceful", namespace });
    expect(lease.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("stops leading at once when it sees another holder in the Lease", async () => {
    // A long renew deadline, so that stepping down at once and at the deadline are far apart.
    const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 };
    const { electors, events } = candidates("usurped", ["a"], timings);
    const [a] = electors as [LeaderElector];
    a.start();
    await vi.waitFor(() => expect(a.isLeader).toBe(true), { timeout: 10_000 });
    // Someone rewrites the Lease behind a's back; retried if it races a's renewal (409 Conflict).
    await vi.waitFor(
      async () => {
        const lease = await leases.readNamespacedLease({ name: "usurped", namespace });
        lease.spec = { ...lease.spec, holderIdentity: "intruder" };
        await leases.replaceNamespacedLease({ name: "usurped", namespace, body: lease });
      },
      { timeout: 10_000 },
    );
    await vi.waitFor(() => expect(a.isLeader).toBe(false), {
      timeout: timings.renewDeadlineMs / 2,
    });
    expect(events.map((e) => e.what)).toEqual(["started", "stopped"]);
  });
});

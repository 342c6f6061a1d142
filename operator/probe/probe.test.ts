import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { container, mcpServer } from "../../webhook/testing/fixtures.ts";
import type { EventRecorder } from "../events.ts";
import type { Writer } from "../kube/apply.ts";
import { cacheOf } from "../kube/cache.ts";
import { createMetrics } from "../metrics.ts";
import { FakeClock } from "../runtime/clock.ts";
import type { LeaderGate } from "../runtime/controller.ts";
import type { LeaderCallbacks } from "../runtime/leader.ts";
import type { EndpointProbe } from "./endpoint.ts";
import type { Endpoint } from "./endpoints.ts";
import {
  DEADLINE_SLACK_MS,
  TransportProbe,
  nextRoundDelay,
  type ProbeDeps,
  type ProbeSchedule,
} from "./probe.ts";

const log = pino({ level: "silent" });
const schedule: ProbeSchedule = { intervalMs: 60_000, concurrency: 2, timeoutMs: 5_000 };
/** When an endpoint that never answers counts as Unreachable. */
const LIMIT_MS = 2 * schedule.timeoutMs + DEADLINE_SLACK_MS;

const verified: EndpointProbe = {
  outcome: "Verified",
  handshake: {
    kind: "connected",
    group: "X25519MLKEM768",
    tlsVersion: "1.3",
    cipherSuite: "TLS_AES_256_GCM_SHA384",
    certificateAlgorithm: "ML-DSA-65",
    spiffeId: "spiffe://cluster.local/ns/mcp/sa/s0",
    authorized: true,
    authorizationError: undefined,
    certificatePem: undefined,
  },
  classicalGroup: undefined,
  error: undefined,
};

class FakeLeader implements LeaderGate {
  private readonly subscribers = new Set<LeaderCallbacks>();
  subscribe(callbacks: LeaderCallbacks): () => void {
    this.subscribers.add(callbacks);
    return () => this.subscribers.delete(callbacks);
  }
  async lead(): Promise<void> {
    for (const s of this.subscribers) await s.onStartedLeading?.();
  }
  async lose(): Promise<void> {
    for (const s of this.subscribers) await s.onStoppedLeading?.();
  }
}

/** `count` MCPServers `s0`, `s1`, … in namespace `mcp`, one pod each at 10.0.0.<i>. */
function cluster(count: number) {
  const servers = Array.from({ length: count }, (_, i) =>
    mcpServer("mcp", `s${i}`, { app: `s${i}` }),
  );
  const pods: V1Pod[] = servers.map((_, i) => ({
    metadata: { name: `s${i}-0`, namespace: "mcp", labels: { app: `s${i}` } },
    spec: { containers: [container("server", ["mcp"])] },
    status: { podIP: `10.0.0.${i}` },
  }));
  const namespaces: V1Namespace[] = [{ metadata: { name: "mcp" } }];
  return { servers: cacheOf(servers), pods: cacheOf(pods), namespaces: cacheOf(namespaces) };
}

/** A probe function whose calls the test answers one at a time. */
function heldProbes() {
  const calls: { endpoint: Endpoint; answer(probe?: EndpointProbe): void }[] = [];
  let running = 0;
  let most = 0;
  const probe = (endpoint: Endpoint) =>
    new Promise<EndpointProbe>((resolve) => {
      running++;
      most = Math.max(most, running);
      calls.push({
        endpoint,
        answer: (p = verified) => {
          running--;
          resolve(p);
        },
      });
    });
  return { calls, probe, most: () => most, running: () => running };
}

function harness(options: { servers?: number; random?: number; leader?: LeaderGate } = {}) {
  const clock = new FakeClock(new Date("2030-01-01T00:00:00Z"));
  const held = heldProbes();
  const writes: { name: string; status: { transport: { result: string; message?: string } } }[] =
    [];
  const events: string[] = [];
  const writer = {
    applyStatus: (object, _plural, status) => {
      writes.push({ name: object.metadata.name, status: status as (typeof writes)[0]["status"] });
      return Promise.resolve();
    },
  } as Pick<Writer, "applyStatus"> as Writer;
  const recorder: EventRecorder = {
    record: (_object, _type, reason) => {
      events.push(reason);
      return Promise.resolve();
    },
  };
  const metrics = createMetrics({ processMetrics: false });
  const deps: ProbeDeps = {
    ...cluster(options.servers ?? 3),
    policies: cacheOf([]),
    bundle: () => [],
    writer,
    events: recorder,
    metrics,
    log,
    clock,
    random: () => options.random ?? 0,
    probe: held.probe,
    ...(options.leader && { leader: options.leader }),
  };
  const probe = new TransportProbe(deps, schedule);
  /** Answers every call made so far that is still waiting, then lets the round finish. */
  const answerAll = async (p?: EndpointProbe) => {
    for (const call of held.calls.splice(0)) call.answer(p);
    await clock.advance(0);
  };
  return { clock, probe, held, writes, events, metrics, answerAll };
}

describe("nextRoundDelay", () => {
  it.each([
    [0, 54_000],
    [0.5, 60_000],
    [0.999_999, 66_000],
  ])("keeps the gap within a tenth of the interval (random %d)", (random, delay) => {
    expect(nextRoundDelay(60_000, random)).toBe(delay);
  });
});

describe("TransportProbe rounds", () => {
  it("does not start before its first, jittered, delay and probes each endpoint once", async () => {
    // The first round waits random × min(interval, 10 s): 0.5 × 10 s.
    const { clock, probe, held, answerAll, writes } = harness({ random: 0.5 });
    probe.start();
    await clock.advance(4_999);
    expect(held.calls).toHaveLength(0);
    await clock.advance(1);
    expect(held.calls.map((c) => c.endpoint.host)).toEqual(["10.0.0.0", "10.0.0.1"]);
    await answerAll();
    await answerAll();
    expect(writes.map((w) => [w.name, w.status.transport.result])).toEqual([
      ["s0", "Verified"],
      ["s1", "Verified"],
      ["s2", "Verified"],
    ]);
    await probe.stop();
  });

  it("never starts a round while one is in progress, and waits the jittered gap after it ends", async () => {
    const { clock, probe, held, answerAll } = harness({ servers: 1, random: 0 });
    probe.start();
    await clock.advance(0);
    expect(held.calls).toHaveLength(1);
    // Longer than the interval, shorter than the endpoint's deadline: the round is still running.
    await clock.advance(LIMIT_MS - 1);
    expect(held.calls).toHaveLength(1);
    await answerAll();
    // random 0: the next round starts 0.9 × the interval after this one ended.
    await clock.advance(nextRoundDelay(schedule.intervalMs, 0) - 1);
    expect(held.calls).toHaveLength(0);
    await clock.advance(1);
    expect(held.calls).toHaveLength(1);
    await probe.stop();
  });

  it.each([0, 0.999_999])(
    "keeps the gap between rounds within ±10%% of the interval (random %d)",
    async (random) => {
      const { clock, probe, held, answerAll } = harness({ servers: 1, random });
      probe.start();
      await clock.advance(10_000);
      await answerAll();
      const ended = clock.now().getTime();
      while (held.calls.length === 0) await clock.advance(100);
      const gap = clock.now().getTime() - ended;
      expect(gap).toBeGreaterThanOrEqual(0.9 * schedule.intervalMs);
      expect(gap).toBeLessThanOrEqual(1.1 * schedule.intervalMs);
      await probe.stop();
    },
  );

  it("runs at most `concurrency` probes at once", async () => {
    const { clock, probe, held, writes } = harness({ servers: 7 });
    probe.start();
    await clock.advance(0);
    while (writes.length < 7) {
      expect(held.running()).toBeLessThanOrEqual(schedule.concurrency);
      held.calls.shift()?.answer();
      await clock.advance(0);
    }
    expect(held.most()).toBe(schedule.concurrency);
    await probe.stop();
  });

  it("counts an endpoint whose probe never settles as Unreachable, and finishes the round", async () => {
    const { clock, probe, held, writes, metrics } = harness({ servers: 1 });
    probe.start();
    await clock.advance(LIMIT_MS - 1);
    expect(writes).toHaveLength(0);
    await clock.advance(1);
    expect(held.calls).toHaveLength(1);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.status.transport).toMatchObject({ result: "Unreachable" });
    expect(writes[0]!.status.transport.message).toMatch(`no answer within ${LIMIT_MS / 1000} s`);
    const probes = await metrics.transportProbes.get();
    expect(probes.values).toContainEqual(
      expect.objectContaining({ labels: { result: "Unreachable", group: "none" }, value: 1 }),
    );
    expect(probe.observed()).toEqual([]);
    await probe.stop();
  });

  it("abandons the round when the lease is lost: no further probe, no write, no observation", async () => {
    const leader = new FakeLeader();
    const { clock, probe, held, writes, answerAll } = harness({ servers: 3, leader });
    probe.start();
    await clock.advance(0);
    expect(held.calls).toHaveLength(0);
    await leader.lead();
    await clock.advance(0);
    expect(held.calls.map((c) => c.endpoint.pod)).toEqual(["s0-0", "s1-0"]);
    // s0 answers while the lease is held: recorded. s2 waits for s0's slot.
    held.calls.shift()!.answer();
    await clock.advance(0);
    expect(writes.map((w) => w.name)).toEqual(["s0"]);
    expect(held.calls.map((c) => c.endpoint.pod)).toEqual(["s1-0", "s2-0"]);
    // Resolves while s1 and s2 are still unanswered: nothing is waited for.
    await leader.lose();
    await answerAll();
    await clock.advance(LIMIT_MS * 2);
    expect(writes.map((w) => w.name)).toEqual(["s0"]);
    expect(probe.observed()).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);

    // Leading again starts a fresh round over every server.
    await leader.lead();
    await clock.advance(0);
    expect(held.calls.map((c) => c.endpoint.pod)).toEqual(["s0-0", "s1-0"]);
    await probe.stop();
    await answerAll();
    expect(writes.map((w) => w.name)).toEqual(["s0"]);
  });

  it("starts no probe once the lease is lost", async () => {
    const leader = new FakeLeader();
    const { clock, probe, held, answerAll } = harness({ servers: 5, leader });
    probe.start();
    await leader.lead();
    await clock.advance(0);
    expect(held.calls).toHaveLength(2);
    await leader.lose();
    // The two slots free up: the three endpoints waiting for them are skipped, not probed.
    await answerAll();
    await clock.advance(LIMIT_MS);
    expect(held.calls).toHaveLength(0);
    expect(held.most()).toBe(2);
    await probe.stop();
  });

  it("hands the round's observations to the CBOM once it ends", async () => {
    const { clock, probe, answerAll } = harness({ servers: 3 });
    probe.start();
    await clock.advance(0);
    expect(probe.observed()).toBeUndefined();
    await answerAll();
    expect(probe.observed()).toBeUndefined();
    await answerAll();
    expect(probe.observed()).toHaveLength(3);
    expect(probe.observed()).toEqual([
      expect.objectContaining({
        namespace: "mcp",
        pod: "s0-0",
        endpoint: "10.0.0.0:8080",
        group: "X25519MLKEM768",
        tlsVersion: "1.3",
        observedAt: "2030-01-01T00:00:00.000Z",
        acceptsClassicalOnly: false,
      }),
      expect.objectContaining({ pod: "s1-0", endpoint: "10.0.0.1:8080" }),
      expect.objectContaining({ pod: "s2-0", endpoint: "10.0.0.2:8080" }),
    ]);
    await probe.stop();
  });

  it("never starts with the probe off", async () => {
    const { clock, held } = harness();
    const off = new TransportProbe(
      { ...cluster(1), policies: cacheOf([]), bundle: () => [], clock, probe: held.probe } as never,
      undefined,
    );
    off.start();
    await clock.advance(schedule.intervalMs * 3);
    expect(held.calls).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
    await off.stop();
  });
});

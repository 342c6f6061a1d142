import type { KubernetesObject } from "@kubernetes/client-node";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { FakeClock, settle } from "./clock.ts";
import {
  Controller,
  allKeysOf,
  ownerKeysOf,
  specFingerprint,
  whenChanged,
  type ControllerOptions,
  type LeaderGate,
  type Source,
} from "./controller.ts";
import type { LeaderCallbacks } from "./leader.ts";

const log = pino({ level: "silent" });

/** A source whose events and sync the test drives (standing in for an informer, not for the API). */
class FakeSource implements Source {
  synced = false;
  starts = 0;
  readonly objects = new Map<string, KubernetesObject>();
  private readonly handlers = new Set<(key: string, obj: KubernetesObject) => void>();
  private readonly waiters: (() => void)[] = [];

  constructor(keys: string[] = []) {
    for (const key of keys) this.objects.set(key, { metadata: { name: key } });
  }
  whenSynced(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
  sync(): void {
    this.synced = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
  onChange(handler: (key: string, obj: KubernetesObject) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  emit(key: string, obj: KubernetesObject = { metadata: { name: key } }): void {
    for (const handler of this.handlers) handler(key, obj);
  }
  keys(): string[] {
    return [...this.objects.keys()];
  }
  start(): void {
    this.starts++;
  }
}

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

function controller(options: Partial<ControllerOptions> = {}) {
  const reconciled: string[] = [];
  const clock = new FakeClock();
  const c = new Controller({
    name: "test",
    reconcile: (key) => {
      reconciled.push(key);
      return Promise.resolve();
    },
    clock,
    log,
    ...options,
  });
  return { controller: c, reconciled, clock };
}

describe("Controller", () => {
  it("starts its sources, and reconciles only once every source has synced", async () => {
    const [servers, policies] = [new FakeSource(), new FakeSource()];
    const { controller: c, reconciled } = controller();
    c.watch(servers).watch(policies, allKeysOf(servers)).start();
    expect([servers.starts, policies.starts]).toEqual([1, 1]);
    servers.emit("ns/a");
    servers.emit("ns/a");
    servers.sync();
    await settle();
    expect([c.synced, reconciled]).toEqual([false, []]);
    policies.sync();
    await settle();
    expect([c.synced, reconciled]).toEqual([true, ["ns/a"]]);
  });

  it("maps a change of another kind to the keys it affects", async () => {
    const servers = new FakeSource(["ns/a", "ns/b"]);
    const [policies, secrets] = [new FakeSource(), new FakeSource()];
    const { controller: c, reconciled } = controller();
    c.watch(servers).watch(policies, allKeysOf(servers)).watch(secrets, ownerKeysOf("MCPServer"));
    c.start();
    for (const source of [servers, policies, secrets]) source.sync();
    await settle();
    policies.emit("strict");
    await settle();
    expect(reconciled).toEqual(["ns/a", "ns/b"]);
    secrets.emit("ns/a-kem", {
      metadata: {
        name: "a-kem",
        namespace: "ns",
        ownerReferences: [
          { apiVersion: "latticeguard.dev/v1alpha1", kind: "MCPServer", name: "b", uid: "1" },
          { apiVersion: "v1", kind: "ConfigMap", name: "c", uid: "2" },
        ],
      },
    });
    await settle();
    expect(reconciled).toEqual(["ns/a", "ns/b", "ns/b"]);
  });

  it("survives a mapper that throws", async () => {
    const [servers, broken] = [new FakeSource(), new FakeSource()];
    const { controller: c, reconciled } = controller();
    c.watch(servers)
      .watch(broken, () => {
        throw new Error("bad mapper");
      })
      .start();
    servers.sync();
    broken.sync();
    broken.emit("x");
    servers.emit("ns/a");
    await settle();
    expect(reconciled).toEqual(["ns/a"]);
  });

  it("runs workers only while leading, and drains them when leadership is lost", async () => {
    const leader = new FakeLeader();
    const servers = new FakeSource();
    let release!: () => void;
    const reconciled: string[] = [];
    const { controller: c } = controller({
      leader,
      reconcile: async (key) => {
        reconciled.push(key);
        if (key === "ns/slow") await new Promise<void>((resolve) => (release = resolve));
      },
    });
    c.watch(servers).start();
    servers.sync();
    servers.emit("ns/a");
    await settle();
    expect(reconciled).toEqual([]);

    await leader.lead();
    await settle();
    expect(reconciled).toEqual(["ns/a"]);

    servers.emit("ns/slow");
    await settle();
    let lost = false;
    const losing = leader.lose().then(() => (lost = true));
    servers.emit("ns/b");
    await settle();
    expect([lost, reconciled]).toEqual([false, ["ns/a", "ns/slow"]]);
    release();
    await losing;
    expect(reconciled).toEqual(["ns/a", "ns/slow"]);

    await leader.lead();
    await settle();
    expect(reconciled).toEqual(["ns/a", "ns/slow", "ns/b"]);
  });

  it("queues every object of its own kind again each resync period", async () => {
    const servers = new FakeSource(["ns/a"]);
    const policies = new FakeSource(["strict"]);
    const { controller: c, reconciled, clock } = controller({ resyncPeriodMs: 60_000 });
    c.watch(servers)
      .watch(policies, () => [])
      .start();
    servers.sync();
    policies.sync();
    await clock.advance(59_999);
    expect(reconciled).toEqual([]);
    await clock.advance(1);
    expect(reconciled).toEqual(["ns/a"]);
    await clock.advance(60_000);
    expect(reconciled).toEqual(["ns/a", "ns/a"]);
  });

  it("stops for good: unsubscribes, cancels the resync, and finishes the reconcile in flight", async () => {
    const servers = new FakeSource(["ns/a"]);
    let release!: () => void;
    const reconciled: string[] = [];
    const { controller: c, clock } = controller({
      reconcile: async (key) => {
        reconciled.push(key);
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    c.watch(servers).start();
    servers.sync();
    servers.emit("ns/a");
    await settle();
    let stopped = false;
    const stopping = c.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    release();
    await stopping;
    servers.emit("ns/b");
    await clock.advance(24 * 3600 * 1000);
    expect(reconciled).toEqual(["ns/a"]);
    expect(clock.pendingTimers).toBe(0);
    expect(() => c.watch(new FakeSource())).toThrow(/must get its sources before start/);
  });
});

describe("Controller watching with a delay", () => {
  it("coalesces a burst of changes into one reconcile per key, at most one per delay", async () => {
    const policies = new FakeSource(["strict", "baseline"]);
    const servers = new FakeSource();
    const { controller: c, reconciled, clock } = controller();
    c.watch(policies).watch(servers, allKeysOf(policies), { delayMs: 1000 }).start();
    policies.sync();
    servers.sync();
    await settle();
    for (let i = 0; i < 500; i++) servers.emit(`ns/s${i}`);
    await clock.advance(999);
    expect(reconciled).toEqual([]);
    await clock.advance(1);
    expect(reconciled.sort()).toEqual(["baseline", "strict"]);
    // Later changes wait a delay of their own; the pending time is not pushed back by more changes.
    servers.emit("ns/s1");
    await clock.advance(500);
    servers.emit("ns/s2");
    await clock.advance(500);
    expect(reconciled).toHaveLength(4);
  });

  it("still reconciles a source watched without a delay at once", async () => {
    const policies = new FakeSource(["strict"]);
    const servers = new FakeSource();
    const { controller: c, reconciled } = controller();
    c.watch(policies).watch(servers, allKeysOf(policies), { delayMs: 1000 }).start();
    policies.sync();
    servers.sync();
    policies.emit("strict");
    await settle();
    expect(reconciled).toEqual(["strict"]);
  });

  it.each([-1, Number.NaN])("refuses a delay of %s", (delayMs) => {
    const { controller: c } = controller();
    expect(() => c.watch(new FakeSource(), undefined, { delayMs })).toThrow(/delayMs/);
  });
});

describe("whenChanged", () => {
  const policy = (generation: number, status = "x"): KubernetesObject & { status: string } => ({
    metadata: { name: "strict", generation },
    status,
  });

  it.each([
    ["the first sight of an object", [], policy(1), true],
    ["a status-only change", [policy(1)], policy(1, "y"), false],
    ["a spec change", [policy(1)], policy(2), true],
    ["the same spec seen again after a change", [policy(1), policy(2)], policy(2, "z"), false],
    [
      "a deletion timestamp",
      [policy(1)],
      { metadata: { name: "strict", generation: 1, deletionTimestamp: new Date(0) } },
      true,
    ],
  ] as const)("on %s passes the change on: %s", (_name, before, obj, passes) => {
    const cache = new Map<string, KubernetesObject>([["strict", obj]]);
    const mapper = whenChanged(cache, specFingerprint, () => ["ns/a", "ns/b"]);
    for (const seen of before) mapper("strict", seen);
    expect([...mapper("strict", obj)]).toEqual(passes ? ["ns/a", "ns/b"] : []);
  });

  it("passes a deletion on (the object left the cache), and a later re-creation", () => {
    const cache = new Map<string, KubernetesObject>([["strict", policy(1)]]);
    const mapper = whenChanged(cache, specFingerprint, () => ["ns/a"]);
    expect([...mapper("strict", policy(1))]).toEqual(["ns/a"]);
    cache.delete("strict");
    expect([...mapper("strict", policy(1))]).toEqual(["ns/a"]);
    cache.set("strict", policy(1));
    expect([...mapper("strict", policy(1))]).toEqual(["ns/a"]);
  });

  it("keeps a fingerprint per key", () => {
    const cache = new Map<string, KubernetesObject>([
      ["a", policy(1)],
      ["b", policy(1)],
    ]);
    const mapper = whenChanged(cache, specFingerprint, (key) => [key]);
    expect([...mapper("a", policy(1))]).toEqual(["a"]);
    expect([...mapper("b", policy(1))]).toEqual(["b"]);
    expect([...mapper("a", policy(1))]).toEqual([]);
  });
});

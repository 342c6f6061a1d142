import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { FakeClock, settle } from "./clock.ts";
import { TerminalError, WorkQueue, type QueueOptions, type Reconcile } from "./queue.ts";

const silent = pino({ level: "silent" });
const done = () => Promise.resolve();
const fail = (error: Error) => Promise.reject(error);

/** A promise with its resolve function, to hold a reconcile in flight. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A queue on a fake clock that records when (in fake ms since start) each key was reconciled. */
function harness(reconcile: Reconcile, options: QueueOptions = {}) {
  const clock = new FakeClock();
  const t0 = clock.now().getTime();
  const calls: [key: string, atMs: number][] = [];
  const queue = new WorkQueue(
    (key) => {
      calls.push([key, clock.now().getTime() - t0]);
      return reconcile(key);
    },
    { clock, log: silent, ...options },
  );
  return { clock, queue, calls, times: () => calls.map(([, at]) => at) };
}

describe("WorkQueue", () => {
  it("reconciles a key added several times before a worker is free once", async () => {
    const { queue, calls } = harness(done);
    for (const key of ["ns/a", "ns/b", "ns/a", "ns/a", "ns/b"]) queue.add(key);
    expect(queue.stats().depth).toBe(2);
    queue.start();
    await settle();
    expect(calls.map(([key]) => key)).toEqual(["ns/a", "ns/b"]);
    expect(queue.stats()).toMatchObject({ depth: 0, size: 0, reconciles: { success: 2 } });
  });

  it("never reconciles one key concurrently, and runs it again if it was added meanwhile", async () => {
    const gates = [deferred(), deferred()];
    let running = 0;
    let maxRunning = 0;
    const { queue, calls } = harness(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await gates[calls.length - 1]?.promise;
        running--;
      },
      { concurrency: 4 },
    );
    queue.start();
    queue.add("ns/a");
    await settle();
    queue.add("ns/a");
    queue.add("ns/a");
    await settle();
    expect(calls).toHaveLength(1);
    expect(queue.stats()).toMatchObject({ inFlight: 1, depth: 0 });
    gates[0]?.resolve();
    await settle();
    expect(calls).toHaveLength(2);
    gates[1]?.resolve();
    await settle();
    expect(calls).toHaveLength(2);
    expect(maxRunning).toBe(1);
  });

  it.each([1, 2, 3])("reconciles at most %i different keys at once", async (concurrency) => {
    const gate = deferred();
    const { queue, calls } = harness(() => gate.promise, { concurrency });
    queue.start();
    for (const key of ["a", "b", "c", "d"]) queue.add(key);
    await settle();
    expect(calls.map(([key]) => key)).toEqual(["a", "b", "c", "d"].slice(0, concurrency));
    expect(queue.stats()).toMatchObject({ inFlight: concurrency, depth: 4 - concurrency });
    gate.resolve();
    await settle();
    await settle();
    expect(calls).toHaveLength(4);
  });

  it("retries failures with exponential backoff up to the cap, and resets after a success", async () => {
    // Fail four times, succeed once, then fail for good.
    const results = [false, false, false, false, true, false];
    const { queue, clock, times } = harness(
      () => (results.shift() ? done() : fail(new Error("API server unavailable"))),
      { backoff: { baseMs: 1000, capMs: 4000 } },
    );
    queue.start();
    queue.add("ns/a");
    await clock.advance(60_000);
    // Delays between attempts: 1 s, 2 s, 4 s, 4 s (capped); then the success; then 1 s (reset).
    expect(times().slice(0, 5)).toEqual([0, 1000, 3000, 7000, 11_000]);
    // The next failure waits 1 s again, not the 4 s the key had reached.
    queue.add("ns/a");
    await clock.advance(999);
    expect(times()).toEqual([0, 1000, 3000, 7000, 11_000, 60_000]);
    await clock.advance(1);
    expect(times()).toEqual([0, 1000, 3000, 7000, 11_000, 60_000, 61_000]);
    expect(queue.stats().reconciles).toEqual({ success: 1, requeue: 0, error: 6, terminal: 0 });
    expect(queue.stats().waiting).toBe(1);
  });

  it.each([
    ["a positive delay as given", 90_000, 90_000],
    ["a delay below the minimum raised to it", 10, 1000],
    ["zero raised to the minimum", 0, 1000],
    ["a negative delay raised to the minimum", -5000, 1000],
    ["NaN raised to the minimum", Number.NaN, 1000],
  ])("requeues after %s", async (_what, requeueAfter, expected) => {
    const { queue, clock, times } = harness(() => Promise.resolve({ requeueAfter }));
    queue.start();
    queue.add("ns/a");
    await clock.advance(expected - 1);
    expect(times()).toEqual([0]);
    await clock.advance(1);
    expect(times()).toEqual([0, expected]);
    expect(queue.stats().reconciles.requeue).toBe(2);
  });

  it("does not retry a terminal error until the key is added again", async () => {
    const { queue, clock, calls } = harness(() =>
      fail(new TerminalError("`spec.port` must name a container port")),
    );
    queue.start();
    queue.add("ns/a");
    await clock.advance(3_600_000);
    expect(calls).toHaveLength(1);
    expect(queue.stats()).toMatchObject({
      waiting: 0,
      size: 0,
      reconciles: { terminal: 1, error: 0 },
    });
    queue.add("ns/a");
    await settle();
    expect(calls).toHaveLength(2);
  });

  it("lets the earliest of two delayed adds win", async () => {
    const { queue, clock, times } = harness(done);
    queue.start();
    queue.addAfter("ns/a", 5000);
    queue.addAfter("ns/a", 9000);
    queue.addAfter("ns/a", 2000);
    expect(queue.stats().waiting).toBe(1);
    await clock.advance(10_000);
    expect(times()).toEqual([2000]);
  });

  it("runs no worker before start() and after pause(), and keeps the keys added meanwhile", async () => {
    const gate = deferred();
    const { queue, calls } = harness(() => gate.promise);
    queue.add("a");
    await settle();
    expect(calls).toHaveLength(0);
    queue.start();
    await settle();
    let paused = false;
    void queue.pause().then(() => (paused = true));
    queue.add("b");
    await settle();
    expect([calls.length, paused]).toEqual([1, false]);
    gate.resolve();
    await settle();
    expect([calls.length, paused, queue.stats().depth]).toEqual([1, true, 1]);
    queue.start();
    await settle();
    expect(calls.map(([key]) => key)).toEqual(["a", "b"]);
  });

  it("drains on shutdown: work in flight finishes, nothing new starts, later adds are ignored", async () => {
    const gate = deferred();
    const { queue, clock, calls } = harness(async () => {
      await gate.promise;
      throw new Error("would be retried");
    });
    queue.start();
    queue.add("a");
    queue.add("b");
    queue.addAfter("c", 1000);
    await settle();
    let done = false;
    const shutDown = queue.shutDown().then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    gate.resolve();
    await shutDown;
    expect(queue.add("d")).toBe(false);
    await clock.advance(60_000);
    expect(calls.map(([key]) => key)).toEqual(["a"]);
    expect(clock.pendingTimers).toBe(0);
    expect(queue.stats()).toMatchObject({ depth: 0, waiting: 0, inFlight: 0, size: 0 });
  });

  it("drops new keys when full, but never a key it already holds", async () => {
    const dropped: string[] = [];
    const { queue, clock, calls } = harness(
      (key) => (key === "a" ? fail(new Error("retry me")) : done()),
      { maxKeys: 2, hooks: { onDropped: (key) => dropped.push(key) } },
    );
    expect([queue.add("a"), queue.add("b"), queue.add("c"), queue.addAfter("d", 10)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(queue.add("a")).toBe(true);
    queue.start();
    await clock.advance(1000);
    expect(calls.map(([key]) => key)).toEqual(["a", "b", "a"]);
    expect(dropped).toEqual(["c", "d"]);
    expect(queue.stats()).toMatchObject({ dropped: 2, size: 1 });
  });

  it("reports each reconcile's outcome to the hook", async () => {
    const outcomes: string[] = [];
    const plan: Record<string, Reconcile> = {
      ok: done,
      later: () => Promise.resolve({ requeueAfter: 60_000 }),
      broken: () => fail(new Error("boom")),
      invalid: () => fail(new TerminalError("invalid")),
    };
    const { queue } = harness((key) => plan[key]!(key), {
      concurrency: 4,
      hooks: { onReconciled: (key, outcome) => outcomes.push(`${key}:${outcome}`) },
    });
    queue.start();
    for (const key of Object.keys(plan)) queue.add(key);
    await settle();
    expect(outcomes.sort()).toEqual([
      "broken:error",
      "invalid:terminal",
      "later:requeue",
      "ok:success",
    ]);
  });

  it.each([
    [{ concurrency: 0 }, /`concurrency` must be a positive integer/],
    [{ maxKeys: 1.5 }, /`maxKeys` must be a positive integer/],
    [{ backoff: { baseMs: 0, capMs: 1 } }, /`backoff.baseMs` must be/],
    [{ backoff: { baseMs: 10, capMs: 1 } }, /`backoff.capMs` must be at least/],
    [{ minRequeueAfterMs: 0 }, /`minRequeueAfterMs` must be positive/],
  ])("rejects options %j, naming the field", (options, message) => {
    expect(() => new WorkQueue(done, options)).toThrow(message);
  });
});

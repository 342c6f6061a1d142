import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeClock, RealClock } from "./clock.ts";

describe("FakeClock", () => {
  it("fires due timers in time order (ties in the order set), and moves now() with them", async () => {
    const clock = new FakeClock(new Date("2030-01-01T00:00:00Z"));
    const fired: string[] = [];
    const record = (name: string) => () =>
      fired.push(`${name}@${clock.now().toISOString().slice(17, 23)}`);
    clock.setTimer(3000, record("c"));
    clock.setTimer(1000, record("a"));
    clock.setTimer(1000, record("b"));
    clock.setTimer(9000, record("late"));
    const cancelled = clock.setTimer(2000, record("cancelled"));
    cancelled.cancel();
    await clock.advance(5000);
    expect(fired).toEqual(["a@01.000", "b@01.000", "c@03.000"]);
    expect(clock.now().toISOString()).toBe("2030-01-01T00:00:05.000Z");
    expect(clock.pendingTimers).toBe(1);
  });

  it("fires timers set by timers when they fall due within the same advance", async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const tick = () => {
      fired.push(clock.now().getTime());
      clock.setTimer(1000, tick);
    };
    clock.setTimer(1000, tick);
    const start = clock.now().getTime();
    await clock.advance(3500);
    expect(fired.map((at) => at - start)).toEqual([1000, 2000, 3000]);
  });

  it("lets promise chains run between timers", async () => {
    const clock = new FakeClock();
    const steps: string[] = [];
    void (async () => {
      await clock.sleep(1000);
      steps.push("slept 1");
      await clock.sleep(1000);
      steps.push("slept 2");
    })();
    await clock.advance(2000);
    expect(steps).toEqual(["slept 1", "slept 2"]);
  });

  it("tells a test when code under test has set its next timer, however long it took to get there", async () => {
    const clock = new FakeClock();
    let sleeping = false;
    const waited = clock.whenTimers(1).then(() => (sleeping = true));
    await new Promise((resolve) => setTimeout(resolve, 20)); // real work on the way to the sleep
    expect(sleeping).toBe(false);
    void clock.sleep(1000);
    await waited;
    expect(sleeping).toBe(true);
    await expect(clock.whenTimers(1)).resolves.toBeUndefined(); // already waiting: at once
    const two = clock.whenTimers(2);
    clock.setTimer(5000, () => undefined);
    await expect(two).resolves.toBeUndefined();
  });

  it("ends a sleep early, without rejecting, when its signal aborts", async () => {
    const clock = new FakeClock();
    const abort = new AbortController();
    let woke = false;
    void clock.sleep(60_000, abort.signal).then(() => (woke = true));
    abort.abort();
    await clock.advance(0);
    expect(woke).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("RealClock", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits out delays longer than setTimeout allows instead of firing at once", () => {
    vi.useFakeTimers();
    const clock = new RealClock();
    const fn = vi.fn();
    const fortyDays = 40 * 24 * 3600 * 1000;
    clock.setTimer(fortyDays, fn);
    vi.advanceTimersByTime(2 ** 31);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(fortyDays - 2 ** 31 - 1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledOnce();
  });

  it("can cancel a long timer after it re-armed", () => {
    vi.useFakeTimers();
    const clock = new RealClock();
    const fn = vi.fn();
    const timer = clock.setTimer(2 ** 32, fn);
    vi.advanceTimersByTime(2 ** 31);
    timer.cancel();
    vi.advanceTimersByTime(2 ** 32);
    expect(fn).not.toHaveBeenCalled();
  });
});

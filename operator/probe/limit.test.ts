import { describe, expect, it } from "vitest";
import { FakeClock } from "../runtime/clock.ts";
import { deadline, limiter } from "./limit.ts";

describe("limiter", () => {
  it("never runs more than max at once, and runs everything", async () => {
    const limit = limiter(3);
    let running = 0;
    let peak = 0;
    const work = async (i: number) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      return i;
    };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => limit(() => work(i))));
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("frees the slot of a rejection", async () => {
    const limit = limiter(1);
    await expect(limit(() => Promise.reject(new Error("x")))).rejects.toThrow("x");
    await expect(limit(() => Promise.resolve(1))).resolves.toBe(1);
  });

  it("checks max", () => {
    expect(() => limiter(0)).toThrow("`max` must be a positive integer");
  });
});

describe("deadline", () => {
  const never = new Promise<string>(() => undefined);

  it("answers with the work's value and cancels its timer", async () => {
    const clock = new FakeClock();
    const answer = deadline(
      clock,
      1000,
      new AbortController().signal,
      Promise.resolve("a"),
      () => "late",
    );
    expect(await answer).toBe("a");
    expect(clock.pendingTimers).toBe(0);
  });

  it("answers late() once the time is up, not before", async () => {
    const clock = new FakeClock();
    let settled: string | undefined;
    void deadline(clock, 1000, new AbortController().signal, never, () => "late").then((v) => {
      settled = v;
    });
    await clock.advance(999);
    expect(settled).toBeUndefined();
    await clock.advance(1);
    expect(settled).toBe("late");
  });

  it("answers late() at once when the signal aborts", async () => {
    const clock = new FakeClock();
    const run = new AbortController();
    const answer = deadline(clock, 1000, run.signal, never, () => "abandoned");
    run.abort();
    expect(await answer).toBe("abandoned");
    expect(clock.pendingTimers).toBe(0);
  });

  it("passes a rejection through", async () => {
    const clock = new FakeClock();
    const failing = Promise.reject(new Error("boom"));
    await expect(
      deadline(clock, 1000, new AbortController().signal, failing, () => "late"),
    ).rejects.toThrow("boom");
  });
});

import { describe, expect, it } from "vitest";
import { RekeyLimiter } from "./rekey-limiter.ts";

describe("RekeyLimiter", () => {
  it("lets a burst through, then one per 1/perSecond", () => {
    let t = 0;
    const limiter = new RekeyLimiter({ perSecond: 2, burst: 3 }, () => t);
    expect([1, 2, 3, 4].map(() => limiter.tryTake())).toEqual([true, true, true, false]);
    expect(limiter.waitMs()).toBe(500);
    t = 499;
    expect(limiter.tryTake()).toBe(false);
    t = 500;
    expect(limiter.tryTake()).toBe(true);
    expect(limiter.available()).toBe(false);
  });

  it("never stores more than the burst", () => {
    let t = 0;
    const limiter = new RekeyLimiter({ perSecond: 10, burst: 2 }, () => t);
    t = 60_000;
    expect([1, 2, 3].map(() => limiter.tryTake())).toEqual([true, true, false]);
  });

  it.each([
    [{ perSecond: 0, burst: 1 }, /perSecond/],
    [{ perSecond: 1, burst: 0 }, /burst/],
  ])("rejects %j, naming the parameter", (rate, message) => {
    expect(() => new RekeyLimiter(rate, () => 0)).toThrow(message);
  });
});

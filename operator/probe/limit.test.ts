import { describe, expect, it } from "vitest";
import { limiter } from "./limit.ts";

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

import { describe, expect, it } from "vitest";
import { interleavedRates, opsPerSecond } from "./rate.ts";

describe("opsPerSecond", () => {
  it("calls `run` at least once, however short the time", () => {
    let calls = 0;
    const rate = opsPerSecond(() => ++calls, 0);
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(rate).toBeGreaterThan(0);
  });
});

describe("interleavedRates", () => {
  // Each run records its name when a round starts it (the first call after another run's calls).
  function recorder() {
    const order: string[] = [];
    const run = (name: string) => () => {
      if (order.at(-1) !== name) order.push(name);
      return new Uint8Array(1);
    };
    return { order, run };
  }

  // With three runs the reversal shows even though a run's calls on both sides of a round boundary merge.
  it.each<[number, string[]]>([
    [1, ["a", "b", "c", "a", "b", "c"]],
    [2, ["a", "b", "c", "a", "b", "c", "b", "a"]],
    [3, ["a", "b", "c", "a", "b", "c", "b", "a", "b", "c"]],
  ])("warms up each run, then alternates the order over %d rounds", (rounds, expected) => {
    const { order, run } = recorder();
    interleavedRates({ a: run("a"), b: run("b"), c: run("c") }, 0.001, rounds);
    expect(order).toEqual(expected);
  });

  it("measures only the runs given, and reports a rate for each", () => {
    const { order, run } = recorder();
    const rates = interleavedRates({ a: run("a"), b: undefined, c: run("c") }, 0.001, 3);
    expect(Object.keys(rates)).toEqual(["a", "c"]);
    expect(new Set(order)).toEqual(new Set(["a", "c"]));
    for (const rate of Object.values(rates)) expect(rate).toBeGreaterThan(0);
  });
});

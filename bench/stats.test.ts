import { describe, expect, it } from "vitest";
import { median, quantile } from "./stats.ts";

describe("quantile", () => {
  it.each<[number[], number, number]>([
    [[1, 2, 3, 4], 0.5, 3],
    [[1, 2, 3, 4], 0, 1],
    [[1, 2, 3, 4], 0.4, 2],
    [[1, 2, 3, 4], 1, 4],
    [[1, 2, 3, 4], 0.99, 4],
    [Array.from({ length: 1000 }, (_, i) => i + 1), 0.99, 991],
    [Array.from({ length: 1000 }, (_, i) => i + 1), 0.5, 501],
    [[7], 0.99, 7],
  ])("of %j at %d is %d", (sorted, q, expected) => {
    expect(quantile(sorted, q)).toBe(expected);
    expect(quantile(Float64Array.from(sorted), q)).toBe(expected);
  });

  it("is NaN without samples", () => {
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe("median", () => {
  it.each<[number[], number]>([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[5], 5],
    [[10, 1, 1000, 2, 3], 3],
  ])("of %j is %d", (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it("leaves its input in order", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it("is NaN without values", () => {
    expect(median([])).toBeNaN();
  });
});

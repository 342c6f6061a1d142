import { describe, expect, it } from "vitest";
import { backoffDelay, checkBackoff } from "./backoff.ts";

describe("backoffDelay", () => {
  const policy = { baseMs: 1000, capMs: 300_000 };
  it.each([
    [0, 0],
    [1, 1000],
    [2, 2000],
    [5, 16_000],
    [9, 256_000],
    [10, 300_000],
    [10_000, 300_000],
  ])("after %i failures waits %i ms", (failures, delay) => {
    expect(backoffDelay(policy, failures)).toBe(delay);
  });
});

describe("checkBackoff", () => {
  it.each([
    [{ baseMs: 0, capMs: 1 }, /`retry.baseMs` must be a positive number/],
    [{ baseMs: Number.NaN, capMs: 1 }, /`retry.baseMs` must be a positive number/],
    [{ baseMs: 10, capMs: 5 }, /`retry.capMs` must be at least `retry.baseMs`/],
  ])("rejects %j, naming the field", (policy, message) => {
    expect(() => checkBackoff(policy, "retry")).toThrow(message);
  });
});

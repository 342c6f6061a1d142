import { describe, expect, it } from "vitest";
import { renewalDelay, retryDelay } from "./schedule.ts";

const HOUR = 3_600_000;
const t0 = new Date("2030-01-01T00:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);
const cert = (lifetime: number) => ({ notBefore: t0, notAfter: at(lifetime) });

describe("renewalDelay", () => {
  it.each([
    ["the middle of the jitter: two thirds", 3 * HOUR, 0, 0.5, 2 * HOUR],
    ["the earliest: 5 % of the lifetime sooner", 3 * HOUR, 0, 0, 2 * HOUR - 0.15 * HOUR],
    ["the latest: 5 % later", 3 * HOUR, 0, 1, 2 * HOUR + 0.15 * HOUR],
    ["counted from notBefore, not from now", 3 * HOUR, HOUR, 0.5, HOUR],
    ["a one-minute certificate, backdated a minute", 2 * 60_000, 60_000, 0.5, 20_000],
  ])("%s", (_name, lifetime, nowOffset, random, expected) => {
    expect(renewalDelay(cert(lifetime), at(nowOffset), random)).toBeCloseTo(expected, 3);
  });

  it("never asks again at once, even for a certificate already past its renewal time", () => {
    expect(renewalDelay(cert(HOUR), at(HOUR), 0.5)).toBe(1000);
    expect(renewalDelay({ notBefore: t0, notAfter: t0 }, t0, 0.5)).toBe(1000);
  });

  it("spreads renewals over ±5 % of the lifetime", () => {
    const delays = Array.from({ length: 101 }, (_, i) => renewalDelay(cert(HOUR), t0, i / 100));
    expect(Math.min(...delays)).toBeCloseTo(HOUR * (2 / 3 - 0.05), 3);
    expect(Math.max(...delays)).toBeCloseTo(HOUR * (2 / 3 + 0.05), 3);
  });
});

describe("retryDelay", () => {
  it.each([
    [1, 0, 500],
    [1, 0.999999, 1000],
    [2, 0, 1000],
    [3, 0.5, 3000],
    [6, 0, 16_000],
    [7, 0, 30_000],
    [7, 1, 60_000],
    [100, 0, 30_000],
    [100, 1, 60_000],
  ])("failure %i with random %f waits %i ms", (failures, random, expected) => {
    expect(retryDelay(failures, random)).toBeCloseTo(expected, -1);
  });

  it("grows with each failure until the cap", () => {
    const steps = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelay(n, 1));
    expect(steps).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });
});

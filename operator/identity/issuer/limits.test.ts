import { describe, expect, it } from "vitest";
import { ClientRateLimiter, InFlightLimit, type Taken } from "./limits.ts";

/** A limiter on a clock the test moves. */
function limiter(rate: { perSecond: number; burst: number; maxClients?: number }) {
  let now = 1_000_000;
  const limit = new ClientRateLimiter(rate, () => now);
  return { limit, advance: (ms: number) => void (now += ms) };
}

const oks = (results: Taken[]) => results.filter((r) => r.ok).length;

describe("ClientRateLimiter", () => {
  it("lets a burst through at once, then refuses with the time until the next token", () => {
    const { limit } = limiter({ perSecond: 10, burst: 20 });
    const results = Array.from({ length: 25 }, () => limit.take("10.0.0.1"));
    expect(oks(results)).toBe(20);
    expect(results[20]).toEqual({ ok: false, retryAfterMs: 100 });
  });

  it.each<[string, number, number, number]>([
    // name, ms waited after the burst is spent, requests then tried, how many go
    ["nothing for no time", 0, 5, 0],
    ["one per 100 ms at 10/s", 100, 5, 1],
    ["five after half a second", 500, 10, 5],
    ["never more than the burst, however long the wait", 3_600_000, 50, 20],
  ])("refills %s", (_name, waited, tried, allowed) => {
    const { limit, advance } = limiter({ perSecond: 10, burst: 20 });
    for (let i = 0; i < 20; i++) limit.take("c");
    advance(waited);
    expect(oks(Array.from({ length: tried }, () => limit.take("c")))).toBe(allowed);
  });

  it("holds to the rate under a steady flood", () => {
    const { limit, advance } = limiter({ perSecond: 10, burst: 20 });
    let allowed = 0;
    // 100 requests a second for 10 s: the burst, then 10 a second.
    for (let ms = 0; ms < 10_000; ms += 10) {
      if (limit.take("flood").ok) allowed++;
      advance(10);
    }
    expect(allowed).toBe(20 + 99);
  });

  it("keeps clients apart: one client's flood leaves another's bucket full", () => {
    const { limit } = limiter({ perSecond: 1, burst: 2 });
    for (let i = 0; i < 100; i++) limit.take("attacker");
    expect(limit.take("attacker").ok).toBe(false);
    expect(oks([limit.take("agent"), limit.take("agent")])).toBe(2);
  });

  it("counts a refused request's wait from the fraction of a token already refilled", () => {
    const { limit, advance } = limiter({ perSecond: 4, burst: 1 });
    limit.take("c");
    advance(100);
    expect(limit.take("c")).toEqual({ ok: false, retryAfterMs: 150 });
    advance(150);
    expect(limit.take("c")).toEqual({ ok: true });
  });

  it("refills nothing when the clock steps back", () => {
    const { limit, advance } = limiter({ perSecond: 10, burst: 1 });
    limit.take("c");
    advance(-60_000);
    expect(limit.take("c").ok).toBe(false);
  });

  it("remembers at most maxClients, forgetting the least recently used", () => {
    const { limit } = limiter({ perSecond: 1, burst: 1, maxClients: 3 });
    for (const client of ["a", "b", "c"]) limit.take(client);
    limit.take("a"); // a is now the most recently used (and refused)
    for (let i = 0; i < 1000; i++) limit.take(`random-${i}`);
    expect(limit.size).toBe(3);
    // Every early client was pushed out by the flood of new ones and starts afresh.
    expect(limit.take("a").ok).toBe(true);
  });

  it("forgets the least recently used first", () => {
    const { limit } = limiter({ perSecond: 1, burst: 1, maxClients: 2 });
    limit.take("old");
    limit.take("recent");
    limit.take("old"); // refused, and now more recent than "recent"
    limit.take("new"); // pushes out "recent"
    expect(limit.take("old").ok).toBe(false);
    expect(limit.take("recent").ok).toBe(true);
  });

  it.each<[string, { perSecond: number; burst: number; maxClients?: number }, string]>([
    ["a zero rate", { perSecond: 0, burst: 1 }, "`perSecond`"],
    ["an infinite rate", { perSecond: Infinity, burst: 1 }, "`perSecond`"],
    ["a zero burst", { perSecond: 1, burst: 0 }, "`burst`"],
    ["a fractional burst", { perSecond: 1, burst: 1.5 }, "`burst`"],
    ["no room for clients", { perSecond: 1, burst: 1, maxClients: 0 }, "`maxClients`"],
  ])("refuses %s", (_name, rate, message) => {
    expect(() => new ClientRateLimiter(rate, Date.now)).toThrow(message);
  });
});

describe("InFlightLimit", () => {
  it("admits up to max at once and refuses the next without waiting", () => {
    const limit = new InFlightLimit(2);
    const a = limit.tryAcquire();
    const b = limit.tryAcquire();
    expect([a, b].every(Boolean)).toBe(true);
    expect(limit.tryAcquire()).toBeUndefined();
    expect(limit.inFlight).toBe(2);
    a!();
    expect(limit.inFlight).toBe(1);
    expect(limit.tryAcquire()).toBeDefined();
  });

  it("releases once however often a release is called", () => {
    const limit = new InFlightLimit(2);
    const a = limit.tryAcquire()!;
    limit.tryAcquire();
    a();
    a();
    expect(limit.inFlight).toBe(1);
  });

  it.each([0, -1, 1.5, NaN])("refuses a maximum of %s", (max) => {
    expect(() => new InFlightLimit(max)).toThrow("`max`");
  });
});

import { describe, expect, it } from "vitest";
import { FakeClock, settle } from "../runtime/clock.ts";
import { EndpointProber, type ProbeAnswer, type ProbeTarget } from "./prober.ts";

const target: ProbeTarget = { host: "10.0.0.1", port: 8080 };

/** A probe whose answers the test gives, one call at a time. */
function controlledProbe() {
  const calls: { target: ProbeTarget; signal: AbortSignal; answer(ok: boolean): void }[] = [];
  const probe = (t: ProbeTarget, signal: AbortSignal) =>
    new Promise<ProbeAnswer | undefined>((resolve) =>
      calls.push({
        target: t,
        signal,
        answer: (ok) => resolve(ok ? { scheme: "https", tlsGroup: "X25519MLKEM768" } : undefined),
      }),
    );
  return { calls, probe };
}

function prober(overrides: Partial<ConstructorParameters<typeof EndpointProber>[0]> = {}) {
  const clock = new FakeClock(new Date("2030-01-01T00:00:00Z"));
  const control = controlledProbe();
  const p = new EndpointProber({
    probe: control.probe,
    clock,
    random: () => 0,
    jitterMs: 1000,
    timeoutMs: 3000,
    recheckMs: 60_000,
    ...overrides,
  });
  return { clock, p, ...control };
}

describe("EndpointProber", () => {
  it("answers at once with what it knows, and probes in the background", async () => {
    const { clock, p, calls } = prober();
    expect(p.lookup("a", target)).toEqual({ pending: true });
    await clock.advance(0);
    expect(calls).toHaveLength(1);
    calls[0]!.answer(true);
    await settle();
    expect(p.lookup("a", target)).toEqual({
      answered: true,
      answer: { scheme: "https", tlsGroup: "X25519MLKEM768" },
      pending: false,
      staleAt: clock.now().getTime() + 60_000,
    });
    expect(calls).toHaveLength(1);
  });

  it("waits a random delay of up to jitterMs before each probe", async () => {
    const { clock, p, calls } = prober({ random: () => 0.5 });
    p.lookup("a", target);
    await clock.advance(499);
    expect(calls).toHaveLength(0);
    await clock.advance(1);
    expect(calls).toHaveLength(1);
  });

  it("gives up at the deadline: aborted and unanswered", async () => {
    const { clock, p, calls } = prober();
    p.lookup("a", target);
    await clock.advance(0);
    await clock.advance(3000);
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(p.lookup("a", target)).toMatchObject({ answered: false, pending: false });
  });

  it("counts a failing probe as unanswered", async () => {
    const { clock, p } = prober({ probe: () => Promise.reject(new Error("refused")) });
    p.lookup("a", target);
    await clock.advance(0);
    expect(p.lookup("a", target)).toMatchObject({ answered: false, pending: false });
  });

  it("runs at most `concurrency` probes at once", async () => {
    const { clock, p, calls } = prober({ concurrency: 2 });
    for (const key of ["a", "b", "c"]) p.lookup(key, target);
    await clock.advance(0);
    expect(calls).toHaveLength(2);
    calls[0]!.answer(false);
    await clock.advance(0);
    expect(calls).toHaveLength(3);
  });

  it("queues no more than maxQueued; the rest are asked again later", async () => {
    const { clock, p, calls } = prober({ concurrency: 1, maxQueued: 1 });
    p.lookup("a", target); // starts at once
    expect(p.lookup("b", target).pending).toBe(true); // queued
    expect(p.lookup("c", target).pending).toBe(false); // not queued
    await clock.advance(0);
    calls[0]!.answer(true);
    await clock.advance(0);
    expect(calls.map((c) => c.target)).toHaveLength(2);
    expect(p.lookup("c", target).pending).toBe(true);
  });

  it("keeps a stale result while probing again, then replaces it", async () => {
    const { clock, p, calls } = prober();
    p.lookup("a", target);
    await clock.advance(0);
    calls[0]!.answer(true);
    await clock.advance(60_000);
    expect(p.lookup("a", target)).toMatchObject({ answered: true, pending: true });
    await clock.advance(0);
    calls[1]!.answer(false);
    await settle();
    expect(p.lookup("a", target)).toMatchObject({ answered: false, pending: false });
    expect(p.lookup("a", target).answer).toBeUndefined();
  });

  it("keeps at most maxEntries results, dropping the oldest", async () => {
    const { clock, p, calls } = prober({ maxEntries: 2 });
    for (const key of ["a", "b", "c"]) p.lookup(key, target);
    await clock.advance(0);
    for (const c of calls) c.answer(true);
    await settle();
    p.lookup("d", target);
    expect(p.lookup("a", target)).toEqual({ pending: true }); // forgotten, so probed anew
  });

  it.each([
    ["concurrency", 0],
    ["timeoutMs", -1],
    ["jitterMs", 1.5],
  ])("refuses %s = %s", (name, value) => {
    expect(
      () => new EndpointProber({ probe: () => Promise.resolve(undefined), [name]: value }),
    ).toThrow(new RegExp(`\`${name}\` must be`));
  });
});

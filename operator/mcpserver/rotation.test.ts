import { describe, expect, it } from "vitest";
import type { KemAlgorithm } from "../api/algorithms.ts";
import {
  MIN_FIRST_PERIOD_FRACTION,
  MIN_REQUEUE_MS,
  applySteps,
  decideRotation,
  firstPeriodFraction,
  type KeyRecord,
  type RotationInput,
} from "./rotation.ts";

const P = 60_000; // rotation period
const G = 20_000; // grace period
const T0 = Date.parse("2026-11-21T12:00:00Z");

function input(keys: KeyRecord[], now: number, extra: Partial<RotationInput> = {}): RotationInput {
  return {
    keys,
    algorithm: "ML-KEM-768",
    rotationPeriodMs: P,
    gracePeriodMs: G,
    firstPeriodFraction: 1,
    lockdown: false,
    rekeyAllowed: true,
    now,
    ...extra,
  };
}

/** Applies a plan the way the controller does, numbering new keys k1, k2, … */
function apply(keys: KeyRecord[], now: number, extra: Partial<RotationInput> = {}) {
  const plan = decideRotation(input(keys, now, extra));
  let n = Math.max(0, ...keys.map((k) => Number(k.id.slice(1))));
  const after = applySteps(keys, plan.steps, now, (algorithm: KemAlgorithm, state) => ({
    id: `k${++n}`,
    algorithm,
    state,
    createdAt: now,
    ...(state === "active" && { activatedAt: now }),
  }));
  return { plan, keys: after };
}

const byState = (keys: KeyRecord[]) =>
  Object.fromEntries(
    ["active", "next", "retiring"].map((s) => [
      s,
      keys.filter((k) => k.state === s).map((k) => k.id),
    ]),
  );

describe("decideRotation", () => {
  it("creates the first key at once and looks again at preparation time", () => {
    const { plan, keys } = apply([], T0);
    expect(plan.rotation).toBe("Initial");
    expect(byState(keys)).toEqual({ active: ["k1"], next: [], retiring: [] });
    expect(plan.requeueAfterMs).toBe(P / 2);
  });

  it("does nothing before preparation time", () => {
    const { keys } = apply([], T0);
    const plan = decideRotation(input(keys, T0 + P / 2 - 1));
    expect(plan.steps).toEqual([]);
    expect(plan.rotation).toBeUndefined();
    expect(plan.requeueAfterMs).toBe(MIN_REQUEUE_MS);
  });

  it("publishes the next key halfway through the period, then activates it on schedule", () => {
    let { keys } = apply([], T0);
    ({ keys } = apply(keys, T0 + P / 2));
    expect(byState(keys)).toEqual({ active: ["k1"], next: ["k2"], retiring: [] });
    const rotated = apply(keys, T0 + P);
    expect(rotated.plan.rotation).toBe("Scheduled");
    expect(byState(rotated.keys)).toEqual({ active: ["k2"], next: [], retiring: ["k1"] });
    expect(rotated.keys.find((k) => k.id === "k1")?.retireAt).toBe(T0 + P + G);
    expect(rotated.plan.requeueAfterMs).toBe(G);
  });

  it("deletes the retiring key when its grace period ends, not before, and prepares the next with it", () => {
    let { keys } = apply([], T0);
    ({ keys } = apply(keys, T0 + P / 2));
    ({ keys } = apply(keys, T0 + P));
    expect(decideRotation(input(keys, T0 + P + G - 1)).steps).toEqual([]);
    const { plan } = apply(keys, T0 + P + G);
    expect(plan.steps).toEqual([
      { op: "create", state: "next", algorithm: "ML-KEM-768" },
      { op: "delete", id: "k1", reason: "GraceExpired" },
    ]);
  });

  it("rotates exactly once per period over many periods, never holding two active keys", () => {
    let keys: KeyRecord[] = [];
    const rotations: number[] = [];
    let now = T0;
    const end = T0 + 10 * P;
    while (now <= end) {
      const step = apply(keys, now);
      keys = step.keys;
      if (step.plan.rotation) rotations.push(now);
      expect(keys.filter((k) => k.state === "active")).toHaveLength(1);
      expect(keys.filter((k) => k.state === "next").length).toBeLessThanOrEqual(1);
      now += step.plan.requeueAfterMs;
    }
    expect(rotations).toEqual(Array.from({ length: 11 }, (_, i) => T0 + i * P));
  });

  it("takes the same decision again after a restart, without rotating twice", () => {
    let { keys } = apply([], T0);
    ({ keys } = apply(keys, T0 + P / 2));
    ({ keys } = apply(keys, T0 + P));
    // The process died after writing the Secret; the new one decides again a moment later.
    const again = decideRotation(input(keys, T0 + P + 5));
    expect(again.rotation).toBeUndefined();
    expect(again.steps).toEqual([]);
  });

  it("rotates at once when it has been down past the rotation time, then keeps the period", () => {
    let { keys } = apply([], T0);
    const late = apply(keys, T0 + 3 * P);
    expect(late.plan.rotation).toBe("Scheduled");
    keys = late.keys;
    expect(decideRotation(input(keys, T0 + 3 * P + 1)).rotation).toBeUndefined();
    // Next look: when the retired key's grace ends (G), before the next key is prepared (P/2).
    expect(late.plan.requeueAfterMs).toBe(Math.min(G, P / 2));
  });

  it("rotates sooner when the rotation period shrinks", () => {
    const { keys } = apply([], T0);
    const plan = decideRotation(
      input(keys, T0 + 10_000, { rotationPeriodMs: 5_000, gracePeriodMs: 1_000 }),
    );
    expect(plan.rotation).toBe("Scheduled");
  });

  it("re-keys at once when the algorithm changes, keeping the old key for its grace period", () => {
    let { keys } = apply([], T0);
    ({ keys } = apply(keys, T0 + P / 2));
    const { plan, keys: after } = apply(keys, T0 + P / 2 + 1, { algorithm: "ML-KEM-1024" });
    expect(plan.rotation).toBe("AlgorithmChanged");
    expect(plan.steps).toContainEqual({ op: "delete", id: "k2", reason: "AlgorithmChanged" });
    expect(byState(after)).toEqual({ active: ["k3"], next: [], retiring: ["k1"] });
    expect(after.find((k) => k.id === "k3")?.algorithm).toBe("ML-KEM-1024");
  });

  it("waits for the re-key rate limit before changing algorithm", () => {
    const { keys } = apply([], T0);
    const plan = decideRotation(input(keys, T0 + 1, { algorithm: "X-Wing", rekeyAllowed: false }));
    expect(plan.rekeyPending).toBe(true);
    expect(plan.rotation).toBeUndefined();
    expect(plan.steps).toEqual([]);
  });

  it("on lockdown replaces the active key at once and drops every other key", () => {
    let { keys } = apply([], T0);
    ({ keys } = apply(keys, T0 + P / 2));
    ({ keys } = apply(keys, T0 + P));
    keys = [...keys, { id: "k9", algorithm: "ML-KEM-768", state: "next", createdAt: T0 + P }];
    expect(byState(keys)).toEqual({ active: ["k2"], next: ["k9"], retiring: ["k1"] });
    const locked = apply(keys, T0 + P + 1, { lockdown: true });
    expect(locked.plan.rotation).toBe("Lockdown");
    expect(byState(locked.keys)).toEqual({ active: ["k10"], next: [], retiring: [] });
  });

  it("repairs a keyring that lost its active key", () => {
    const orphan: KeyRecord = { id: "k1", algorithm: "ML-KEM-768", state: "next", createdAt: T0 };
    const { plan, keys } = apply([orphan], T0 + 1);
    expect(plan.rotation).toBe("Repaired");
    expect(byState(keys).active).toHaveLength(1);
  });

  it("never asks to be requeued after zero or negative time", () => {
    const { keys } = apply([], T0);
    expect(decideRotation(input(keys, T0 + P / 2 - 1)).requeueAfterMs).toBeGreaterThanOrEqual(
      MIN_REQUEUE_MS,
    );
  });

  it("takes the same decision again after a restart between retiring and preparing, without a second next key", () => {
    let { keys } = apply([], T0);
    ({ keys } = apply(keys, T0 + P / 2));
    ({ keys } = apply(keys, T0 + P));
    ({ keys } = apply(keys, T0 + P + G));
    expect(byState(keys)).toEqual({ active: ["k2"], next: ["k3"], retiring: [] });
    expect(decideRotation(input(keys, T0 + P + G + 5)).steps).toEqual([]);
  });

  it("refuses a first-period fraction that would lengthen a period or make it shorter than half", () => {
    for (const f of [0.49, 1.01, Number.NaN])
      expect(() => decideRotation(input([], T0, { firstPeriodFraction: f }))).toThrow(
        /`firstPeriodFraction` must be in \[0.5, 1\]/,
      );
  });
});

/** Every plan over `periods` rotation periods of a new server, with its time. */
function simulate(periods: number, extra: Partial<RotationInput> = {}) {
  const plans: { at: number; plan: ReturnType<typeof decideRotation>; keys: KeyRecord[] }[] = [];
  let keys: KeyRecord[] = [];
  for (let now = T0; now <= T0 + periods * (extra.rotationPeriodMs ?? P);) {
    const step = apply(keys, now, extra);
    keys = step.keys;
    plans.push({ at: now, plan: step.plan, keys });
    now += step.plan.requeueAfterMs;
  }
  return plans;
}

describe("the first period of a server", () => {
  it.each([0.5, 0.73, 0.999, 1])(
    "with fraction %s rotates first after that share of the period, then every full period",
    (f) => {
      const plans = simulate(6, { firstPeriodFraction: f });
      const rotations = plans.filter((p) => p.plan.rotation).map((p) => p.at);
      expect(rotations[0]).toBe(T0);
      expect(rotations[1]).toBe(T0 + f * P);
      for (let i = 2; i < rotations.length; i++) expect(rotations[i]! - rotations[i - 1]!).toBe(P);
      // The next key of the first period is published a quarter period or more before it is used.
      const prepared = plans.find((p) =>
        p.plan.steps.some((s) => s.op === "create" && s.state === "next"),
      );
      expect(prepared!.at).toBe(T0 + (f * P) / 2);
      // Only the first key carries the shortened period; the keys after it are active for P.
      const stored = plans.at(-1)!.keys;
      expect(stored.filter((k) => k.periodFraction !== undefined)).toEqual([]);
    },
  );

  it("stores the shortened period with the first key, so a restart keeps its schedule", () => {
    const { keys } = apply([], T0, { firstPeriodFraction: 0.6 });
    expect(keys[0]!.periodFraction).toBe(0.6);
    // Decided again with any other fraction (another replica, another hash), the stored one holds.
    const plan = decideRotation(input(keys, T0 + 0.6 * P, { firstPeriodFraction: 0.9 }));
    expect(plan.rotation).toBe("Scheduled");
  });

  it("spreads servers created together over half a period, the same way every time", () => {
    const uids = Array.from(
      { length: 2_000 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    );
    const fractions = uids.map(firstPeriodFraction);
    expect(uids.map(firstPeriodFraction)).toEqual(fractions);
    for (const f of fractions) {
      expect(f).toBeGreaterThanOrEqual(MIN_FIRST_PERIOD_FRACTION);
      expect(f).toBeLessThan(1);
    }
    // Ten equal slices of [1/2, 1): none holds much more than its tenth (200) of the servers.
    const slices = Array<number>(10).fill(0);
    for (const f of fractions) slices[Math.floor((f - 0.5) * 20)]!++;
    expect(Math.min(...slices)).toBeGreaterThan(140);
    expect(Math.max(...slices)).toBeLessThan(260);
  });

  it("names the field it cannot hash", () => {
    expect(() => firstPeriodFraction("")).toThrow(/`metadata.uid`/);
  });
});

describe("keyring writes per period", () => {
  it.each([
    // [grace period, when the next key is prepared (after activation), keyring writes per period]
    [G, G, 2],
    [P / 2, P / 2, 2],
    [0.75 * P, P / 2, 3],
    [0, 0, 2],
  ])(
    "with grace %s ms the next key is prepared at +%s ms, %s writes a period",
    (grace, prep, writes) => {
      const plans = simulate(8, { gracePeriodMs: grace });
      // Periods 3 to 7, well past the first: each [start, start + P) holds one rotation.
      for (let period = 3; period < 8; period++) {
        const start = T0 + period * P;
        const inPeriod = plans.filter(
          (p) => p.at >= start && p.at < start + P && p.plan.steps.length,
        );
        expect(inPeriod).toHaveLength(writes);
        const prepared = inPeriod.find((p) =>
          p.plan.steps.some((s) => s.op === "create" && s.state === "next"),
        );
        // A grace of 0 deletes on the next look after activation, which is MIN_REQUEUE_MS later.
        expect(prepared!.at - start).toBe(prep === 0 ? MIN_REQUEUE_MS : prep);
      }
    },
  );

  it("never holds two next keys nor goes without an active one", () => {
    for (const plan of simulate(8, { firstPeriodFraction: 0.55 })) {
      expect(plan.keys.filter((k) => k.state === "active")).toHaveLength(1);
      expect(plan.keys.filter((k) => k.state === "next").length).toBeLessThanOrEqual(1);
    }
  });
});

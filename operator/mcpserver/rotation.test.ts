import { describe, expect, it } from "vitest";
import type { KemAlgorithm } from "../api/algorithms.ts";
import {
  MIN_REQUEUE_MS,
  applySteps,
  decideRotation,
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

  it("deletes the retiring key when its grace period ends, not before", () => {
    let { keys } = apply([], T0);
    ({ keys } = apply(keys, T0 + P / 2));
    ({ keys } = apply(keys, T0 + P));
    expect(decideRotation(input(keys, T0 + P + G - 1)).steps).toEqual([]);
    const { plan } = apply(keys, T0 + P + G);
    expect(plan.steps).toEqual([{ op: "delete", id: "k1", reason: "GraceExpired" }]);
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
});

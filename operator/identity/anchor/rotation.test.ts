import { describe, expect, it } from "vitest";
import {
  MIN_ANCHOR_REQUEUE_MS,
  applyAnchorSteps,
  decideAnchors,
  type AnchorInput,
  type AnchorRecord,
} from "./rotation.ts";

const HOUR = 3_600_000;
const L = 720 * HOUR; // lifetime
const T0 = Date.parse("2026-11-21T12:00:00Z");
const DOMAIN = "cluster.local";

function input(anchors: AnchorRecord[], now: number, extra: Partial<AnchorInput> = {}) {
  return { anchors, algorithm: "ML-DSA-87", trustDomain: DOMAIN, lifetimeMs: L, now, ...extra };
}

/** A fake clock and the Secret's state: each tick decides and applies, numbering new anchors a1, a2, … */
function cluster() {
  let anchors: AnchorRecord[] = [];
  let n = 0;
  return {
    get anchors() {
      return anchors;
    },
    set anchors(value: AnchorRecord[]) {
      anchors = value;
    },
    at(now: number, extra: Partial<AnchorInput> = {}) {
      const plan = decideAnchors(input(anchors, now, extra) as AnchorInput);
      n = Math.max(n, ...anchors.map((a) => Number(a.id.slice(1))));
      anchors = applyAnchorSteps(anchors, plan.steps, () => `a${++n}`);
      return plan;
    },
    states() {
      return Object.fromEntries(
        (["active", "next", "retiring"] as const).map((s) => [
          s,
          anchors.filter((a) => a.state === s).map((a) => a.id),
        ]),
      );
    },
  };
}

describe("decideAnchors over a simulated timeline", () => {
  it("creates the first anchor at once, valid for the lifetime, and looks again at L/2", () => {
    const c = cluster();
    const plan = c.at(T0 + 123);
    expect(plan.rotation).toBe("Initial");
    expect(c.states()).toEqual({ active: ["a1"], next: [], retiring: [] });
    expect(c.anchors[0]).toMatchObject({ notBefore: T0, notAfter: T0 + L, algorithm: "ML-DSA-87" });
    expect(plan.requeueAfterMs).toBe(L / 2 - 123);
  });

  it("walks create → prepare at 1/2 → switch at 2/3 → retire at notAfter, and again", () => {
    const c = cluster();
    c.at(T0);
    expect(c.at(T0 + L / 2 - 1).steps).toEqual([]);

    const prepared = c.at(T0 + L / 2);
    expect(prepared.rotation).toBeUndefined();
    expect(c.states()).toEqual({ active: ["a1"], next: ["a2"], retiring: [] });
    expect(c.anchors[1]).toMatchObject({ notBefore: T0 + L / 2, notAfter: T0 + L / 2 + L });
    expect(prepared.requeueAfterMs).toBe((2 * L) / 3 - L / 2);

    expect(c.at(T0 + (2 * L) / 3 - 1).steps).toEqual([]);
    const switched = c.at(T0 + (2 * L) / 3);
    expect(switched.rotation).toBe("Scheduled");
    expect(c.states()).toEqual({ active: ["a2"], next: [], retiring: ["a1"] });
    // Next: a1 leaves at its notAfter, which is also a2's preparation time.
    expect(switched.requeueAfterMs).toBe(L / 3);

    expect(c.at(T0 + L - 1).steps).toEqual([]);
    const retired = c.at(T0 + L);
    expect(retired.steps).toContainEqual({ op: "delete", id: "a1", reason: "Expired" });
    expect(retired.rotation).toBeUndefined();
    expect(c.states()).toEqual({ active: ["a2"], next: ["a3"], retiring: [] });

    c.at(T0 + L / 2 + (2 * L) / 3);
    expect(c.states()).toEqual({ active: ["a3"], next: [], retiring: ["a2"] });
  });

  it("keeps every certificate the old anchor signed verifiable: it stays L/3 after it stops signing", () => {
    const c = cluster();
    c.at(T0);
    c.at(T0 + L / 2);
    c.at(T0 + (2 * L) / 3);
    const old = c.anchors.find((a) => a.id === "a1")!;
    expect(old.notAfter - (T0 + (2 * L) / 3)).toBe(L / 3);
    expect(old.notAfter - (T0 + (2 * L) / 3)).toBeGreaterThan(24 * HOUR);
  });

  it("is idempotent: deciding again on what was just written, at any time, changes nothing", () => {
    for (const t of [0, L / 2, (2 * L) / 3, L, 1.4 * L].map((d) => T0 + d)) {
      const c = cluster();
      for (const step of [0, L / 2, (2 * L) / 3, L, 1.4 * L]) if (T0 + step <= t) c.at(T0 + step);
      const again = decideAnchors(input(c.anchors, t) as AnchorInput);
      expect(again.steps).toEqual([]);
      expect(again.rotation).toBeUndefined();
    }
  });

  it("never asks to be requeued at or below zero", () => {
    const c = cluster();
    for (let t = T0; t < T0 + 3 * L; t += L / 7) {
      expect(c.at(t).requeueAfterMs).toBeGreaterThanOrEqual(MIN_ANCHOR_REQUEUE_MS);
    }
    expect(c.states().active).toHaveLength(1);
  });
});

describe("decideAnchors after downtime and damage", () => {
  const active: AnchorRecord = {
    id: "a1",
    algorithm: "ML-DSA-87",
    state: "active",
    trustDomain: DOMAIN,
    notBefore: T0,
    notAfter: T0 + L,
  };
  const next: AnchorRecord = {
    ...active,
    id: "a2",
    state: "next",
    notBefore: T0 + L / 2,
    notAfter: T0 + L / 2 + L,
  };

  it("prepares late after missing the window, and switches only once the next anchor was published L/12", () => {
    const c = cluster();
    c.anchors = [active];
    c.at(T0 + 0.8 * L);
    const late = c.anchors.find((a) => a.state === "next")!;
    expect(late.notBefore).toBe(T0 + 0.8 * L);
    expect(c.at(T0 + 0.8 * L + L / 12 - 1).rotation).toBeUndefined();
    expect(c.at(T0 + 0.8 * L + L / 12).rotation).toBe("Scheduled");
  });

  it("replaces an expired active anchor by the next one while it is valid", () => {
    const c = cluster();
    c.anchors = [active, next];
    const plan = c.at(T0 + L + HOUR);
    expect(plan.rotation).toBe("Expired");
    expect(plan.steps).toContainEqual({ op: "delete", id: "a1", reason: "Expired" });
    expect(c.states()).toEqual({ active: ["a2"], next: [], retiring: [] });
  });

  it("starts over when everything expired", () => {
    const c = cluster();
    c.anchors = [active, next];
    const plan = c.at(T0 + 3 * L);
    expect(plan.rotation).toBe("Expired");
    expect(c.states()).toEqual({ active: ["a3"], next: [], retiring: [] });
    expect(c.anchors[0]!.notBefore).toBe(T0 + 3 * L);
  });

  it("promotes the published next anchor when the active one was lost", () => {
    const c = cluster();
    c.anchors = [next];
    expect(c.at(T0 + L / 2 + HOUR).rotation).toBe("Repaired");
    expect(c.states()).toEqual({ active: ["a2"], next: [], retiring: [] });
  });

  it("creates a new signer when only a retiring anchor is left", () => {
    const c = cluster();
    c.anchors = [{ ...active, state: "retiring" }];
    expect(c.at(T0 + HOUR).rotation).toBe("Repaired");
    expect(c.states()).toEqual({ active: ["a2"], next: [], retiring: ["a1"] });
  });

  it("replaces the active anchor at once when the trust domain changes, and drops a next of the old one", () => {
    const c = cluster();
    c.anchors = [active, next];
    const plan = c.at(T0 + 0.6 * L, { trustDomain: "prod.example" });
    expect(plan.rotation).toBe("TrustDomainChanged");
    expect(plan.steps).toContainEqual({ op: "delete", id: "a2", reason: "TrustDomainChanged" });
    expect(c.states()).toEqual({ active: ["a3"], next: [], retiring: ["a1"] });
    expect(c.anchors.find((a) => a.state === "active")!.trustDomain).toBe("prod.example");
  });

  it("uses a changed algorithm and lifetime for anchors created from then on", () => {
    const c = cluster();
    c.anchors = [active];
    c.at(T0 + L / 2, { algorithm: "ML-DSA-65", lifetimeMs: 100 * HOUR });
    expect(c.anchors[1]).toMatchObject({
      algorithm: "ML-DSA-65",
      notAfter: T0 + L / 2 + 100 * HOUR,
    });
    expect(c.anchors[0]!.algorithm).toBe("ML-DSA-87");
  });

  it("stores whole seconds, as X.509 does", () => {
    const plan = decideAnchors(input([], T0 + 1_999, { lifetimeMs: 10_500 }) as AnchorInput);
    expect(plan.steps[0]).toMatchObject({ notBefore: T0 + 1000, notAfter: T0 + 11_000 });
  });
});

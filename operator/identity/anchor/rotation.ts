/**
 * The cluster trust anchor's rotation: a pure function of the anchors stored in the anchor Secret, the
 * configured algorithm, trust domain and lifetime, and the time. Times are relative to the active anchor's
 * `notBefore`, L its lifetime (`notAfter - notBefore`):
 *
 *              prepare (L/2)     switch (2L/3)                    notAfter (L)
 *   active  A ────────────────────────┤ retiring A (bundle only) ──────┤ (deleted)
 *   next                 B (bundle) ──┤ active B (signs) ───────────────────────── …
 *                                                            prepare C (B's L/2) ┘
 *
 *   signer:  A ───────────────────────┤ B ───────────────────────────────────────────
 *   bundle:  A ──────────┤ A, B ───────────────────────────────────┤ B, C …
 *
 * - The next anchor is created and published in the bundle at L/2, so every verifier has it long before
 *   it signs anything; it becomes the signer at 2L/3.
 * - The old anchor stops signing at 2L/3 and stays in the bundle until its `notAfter`, then is deleted.
 *   Every certificate it signed ends by then: identities last at most the maximum identity TTL, which the
 *   flags require to be shorter than L/3 (and the issuer never signs past its anchor's `notAfter`).
 * - The Secret alone says what has happened (states and validity windows are stored), so a restart at any
 *   point neither loses the signing key nor rotates twice: the decision is simply taken again.
 * - Late work is made safe, not skipped: after downtime through the preparation window the next anchor is
 *   created at once and signs only after it was published for L/12 (half the usual overlap); an active
 *   anchor found expired is replaced by the next one if it is still valid, else by a new one.
 * - A changed algorithm applies to anchors created from then on. A changed trust domain replaces the
 *   active anchor at once (identities in the new domain cannot be signed by the old one) and deletes a
 *   next anchor of the old domain; the old active anchor still retires through the bundle.
 *
 * @example
 * const plan = decideAnchors({ anchors, algorithm: "ML-DSA-87", trustDomain: "cluster.local",
 *   lifetimeMs: 720 * 3_600_000, now: Date.now() });
 */
import type { SignatureAlgorithm } from "../../api/algorithms.ts";

/**
 * Where an anchor is in its life: published ahead (`next`), signing (`active`), or only verifying what it
 * signed until its `notAfter` (`retiring`).
 *
 * @example
 * const state: AnchorState = "active";
 */
export type AnchorState = "next" | "active" | "retiring";

/**
 * One anchor, without its private seed or certificate. Times are epoch milliseconds (whole seconds, as
 * X.509 stores them): the anchor certificate's validity.
 *
 * @example
 * const a: AnchorRecord = { id: "mldsa87-…", algorithm: "ML-DSA-87", state: "active",
 *   trustDomain: "cluster.local", notBefore, notAfter: notBefore + 720 * 3_600_000 };
 */
export interface AnchorRecord {
  id: string;
  algorithm: SignatureAlgorithm;
  state: AnchorState;
  trustDomain: string;
  notBefore: number;
  notAfter: number;
}

/**
 * Why a new anchor became the signer: the label of `latticeguard_trust_anchor_rotations_total`.
 *
 * @example
 * metrics.trustAnchorRotations.inc({ reason: "Scheduled" satisfies AnchorRotationReason });
 */
export type AnchorRotationReason =
  "Initial" | "Scheduled" | "Expired" | "Repaired" | "TrustDomainChanged";

/**
 * One change to the stored anchors; a `create` step gets its key and certificate when the plan is applied.
 *
 * @example
 * const step: AnchorStep = { op: "promote", id: "mldsa87-3f9a0c11d2e4b5a6" };
 */
export type AnchorStep =
  | {
      op: "create";
      state: "next" | "active";
      algorithm: SignatureAlgorithm;
      trustDomain: string;
      notBefore: number;
      notAfter: number;
    }
  | { op: "promote"; id: string }
  | { op: "retire"; id: string }
  | { op: "delete"; id: string; reason: "Expired" | "TrustDomainChanged" };

/**
 * The step that creates an anchor.
 *
 * @example
 * const creates = plan.steps.filter((s): s is CreateAnchorStep => s.op === "create");
 */
export type CreateAnchorStep = Extract<AnchorStep, { op: "create" }>;

/**
 * What the decision needs to know.
 *
 * @example
 * const input: AnchorInput = { anchors: [], algorithm: "ML-DSA-87", trustDomain: "cluster.local",
 *   lifetimeMs: 720 * 3_600_000, now: Date.now() };
 */
export interface AnchorInput {
  anchors: readonly AnchorRecord[];
  /** The algorithm of anchors created now. */
  algorithm: SignatureAlgorithm;
  trustDomain: string;
  /** The lifetime of anchors created now. */
  lifetimeMs: number;
  now: number;
}

/**
 * What to do, and when to look again.
 *
 * @example
 * const { steps, rotation, requeueAfterMs }: AnchorPlan = decideAnchors(input);
 */
export interface AnchorPlan {
  steps: AnchorStep[];
  /** Set when a different anchor becomes the signer. */
  rotation?: AnchorRotationReason;
  /** Milliseconds until the next transition; always > 0. */
  requeueAfterMs: number;
}

/**
 * The soonest a time-driven requeue may be; never zero or negative.
 *
 * @example
 * plan.requeueAfterMs >= MIN_ANCHOR_REQUEUE_MS; // true
 */
export const MIN_ANCHOR_REQUEUE_MS = 50;

const span = (a: AnchorRecord) => a.notAfter - a.notBefore;

/**
 * When the next anchor is due to be created: halfway through the active anchor's lifetime.
 *
 * @example
 * preparationDue(active); // active.notBefore + (active.notAfter - active.notBefore) / 2
 */
export function preparationDue(active: AnchorRecord): number {
  return active.notBefore + span(active) / 2;
}

/**
 * When `next` becomes the signer in place of `active`: at two thirds of the active anchor's lifetime, once
 * `next` has been published for at least a twelfth of it (which it has unless it was created late).
 *
 * @example
 * switchDue(active, next); // active.notBefore + 2L/3 normally
 */
export function switchDue(active: AnchorRecord, next: AnchorRecord): number {
  return Math.max(active.notBefore + (2 * span(active)) / 3, next.notBefore + span(active) / 12);
}

/** Whole seconds, as X.509 validity times hold them. */
const seconds = (ms: number) => Math.floor(ms / 1000) * 1000;

/** The active (or next) anchor change due now, if any: the first rule that applies wins. */
function signerChange(input: AnchorInput): Pick<AnchorPlan, "steps" | "rotation"> {
  const { anchors, now, trustDomain } = input;
  const usable = (a: AnchorRecord | undefined) =>
    a && a.trustDomain === trustDomain && now < a.notAfter ? a : undefined;
  const stored = anchors.find((a) => a.state === "active");
  const active = usable(stored);
  const next = usable(anchors.find((a) => a.state === "next"));
  const notBefore = seconds(now);
  const create = (state: "next" | "active"): AnchorStep => ({
    op: "create",
    state,
    algorithm: input.algorithm,
    trustDomain,
    notBefore,
    notAfter: notBefore + seconds(input.lifetimeMs),
  });

  if (stored && stored.trustDomain !== trustDomain && now < stored.notAfter) {
    return {
      steps: [create("active"), { op: "retire", id: stored.id }],
      rotation: "TrustDomainChanged",
    };
  }
  if (!active) {
    const reason = anchors.length === 0 ? "Initial" : stored ? "Expired" : "Repaired";
    return { steps: [next ? { op: "promote", id: next.id } : create("active")], rotation: reason };
  }
  if (next && now >= switchDue(active, next)) {
    return {
      steps: [
        { op: "promote", id: next.id },
        { op: "retire", id: active.id },
      ],
      rotation: "Scheduled",
    };
  }
  if (!next && now >= preparationDue(active)) return { steps: [create("next")] };
  return { steps: [] };
}

/** Deletions due whatever else happens: expired anchors, and a next anchor of another trust domain. */
function cleanup(input: AnchorInput, planned: readonly AnchorStep[]): AnchorStep[] {
  const promoted = new Set(planned.flatMap((s) => (s.op === "promote" ? [s.id] : [])));
  return input.anchors.flatMap((a): AnchorStep[] => {
    if (input.now >= a.notAfter) return [{ op: "delete", id: a.id, reason: "Expired" }];
    if (a.state === "next" && a.trustDomain !== input.trustDomain && !promoted.has(a.id))
      return [{ op: "delete", id: a.id, reason: "TrustDomainChanged" }];
    return [];
  });
}

function requeue(input: AnchorInput, after: readonly AnchorRecord[]): number {
  const active = after.find((a) => a.state === "active");
  const next = after.find((a) => a.state === "next");
  const times = after.map((a) => a.notAfter);
  if (active) times.push(next ? switchDue(active, next) : preparationDue(active));
  const soonest = Math.min(...times, input.now + input.lifetimeMs);
  return Math.max(MIN_ANCHOR_REQUEUE_MS, soonest - input.now);
}

/**
 * Decides the anchors' next changes. Pure: the same input always gives the same plan.
 *
 * @example
 * decideAnchors({ anchors: [], algorithm: "ML-DSA-87", trustDomain: "cluster.local", lifetimeMs, now })
 *   .rotation; // "Initial"
 */
export function decideAnchors(input: AnchorInput): AnchorPlan {
  const change = signerChange(input);
  const steps = [...change.steps, ...cleanup(input, change.steps)];
  const after = applyAnchorSteps(input.anchors, steps, (step) => `planned-${step.state}`);
  return { ...change, steps, requeueAfterMs: requeue(input, after) };
}

/**
 * The anchors after `steps`. `idOf` names each created anchor (the caller generates its key, and so knows
 * its id).
 *
 * @example
 * const after = applyAnchorSteps(anchors, plan.steps, (step) => made.get(step)!.id);
 */
export function applyAnchorSteps(
  anchors: readonly AnchorRecord[],
  steps: readonly AnchorStep[],
  idOf: (step: CreateAnchorStep) => string,
): AnchorRecord[] {
  let out = anchors.map((a) => ({ ...a }));
  const setState = (id: string, state: AnchorState) =>
    (out = out.map((a) => (a.id === id ? { ...a, state } : a)));
  for (const step of steps) {
    if (step.op === "create") {
      const { op: _op, ...fields } = step;
      out.push({ id: idOf(step), ...fields });
    } else if (step.op === "promote") setState(step.id, "active");
    else if (step.op === "retire") setState(step.id, "retiring");
    else out = out.filter((a) => a.id !== step.id);
  }
  return out;
}

/**
 * The KEM key rotation decision for one MCPServer: a pure function of the keyring stored in the server's
 * Secret, the policy in force and the time. It prepares, activates and retires keys the way SPIRE rotates
 * its CAs:
 *
 *                 prepare (P/2)             activate (P)                 delete (P + G)
 *   active  A ───────────────────────────────┤ retiring A ───────────────────┤ (gone)
 *   next                      B (published) ─┤ active B ────────────────────────────── …
 *
 *   P = rotationPeriod, G = gracePeriod (< P), times relative to A's activation.
 *
 * - A next key is generated and published halfway through the active key's period, so clients can fetch
 *   it well before it is used.
 * - At activation the next key becomes active and the old one retires: its private half stays for G to
 *   decrypt what was sealed to it, then is deleted.
 * - The keyring alone says what has happened (activation times are stored with the keys), so a restart at
 *   any point neither loses a key nor rotates twice: the decision is simply taken again.
 * - A key whose algorithm the policy no longer allows is replaced at once (rate-limited across the
 *   cluster); the old key still retires with its grace period.
 * - A lockdown replaces the active key at once and deletes every other key, with no grace.
 *
 * @example
 * const plan = decideRotation({ keys, algorithm: "ML-KEM-768", rotationPeriodMs, gracePeriodMs,
 *   lockdown: false, rekeyAllowed: true, now: Date.now() });
 */
import type { KemAlgorithm } from "../api/algorithms.ts";

/** Where a key is in its life. */
export type KeyState = "next" | "active" | "retiring";

/** One key of a server's keyring, without its private seed. Times are epoch milliseconds. */
export interface KeyRecord {
  id: string;
  algorithm: KemAlgorithm;
  state: KeyState;
  createdAt: number;
  /** When the key became active (active and retiring keys). */
  activatedAt?: number;
  /** When the retiring key's private half is deleted. */
  retireAt?: number;
}

/** Why a new active key was made. */
export type RotationReason = "Initial" | "Scheduled" | "AlgorithmChanged" | "Lockdown" | "Repaired";

/** One change to the keyring; `create` steps get their key material when the plan is applied. */
export type Step =
  | { op: "create"; state: "next" | "active"; algorithm: KemAlgorithm }
  | { op: "promote"; id: string }
  | { op: "retire"; id: string; retireAt: number }
  | { op: "delete"; id: string; reason: "GraceExpired" | "Lockdown" | "AlgorithmChanged" };

/** What the rotation logic needs to know. */
export interface RotationInput {
  keys: readonly KeyRecord[];
  /** The algorithm new keys must use. */
  algorithm: KemAlgorithm;
  rotationPeriodMs: number;
  gracePeriodMs: number;
  /** A lockdown was requested and not yet acted on. */
  lockdown: boolean;
  /** The cluster-wide re-key rate limit has room for one more algorithm change. */
  rekeyAllowed: boolean;
  now: number;
}

/** What to do, and when to look again. */
export interface RotationPlan {
  steps: Step[];
  /** Set when a new key becomes active. */
  rotation?: RotationReason;
  /** An algorithm change is due but waits for the re-key rate limit. */
  rekeyPending: boolean;
  /** Milliseconds until the next time-driven change; always > 0. */
  requeueAfterMs: number;
}

/** The soonest a time-driven requeue may be; never zero or negative. */
export const MIN_REQUEUE_MS = 50;

/** When the active key is due to be replaced. */
export function rotationDue(active: KeyRecord, rotationPeriodMs: number): number {
  return (active.activatedAt ?? active.createdAt) + rotationPeriodMs;
}

/** When the next key is due to be prepared: halfway through the active key's period. */
export function preparationDue(active: KeyRecord, rotationPeriodMs: number): number {
  return (active.activatedAt ?? active.createdAt) + rotationPeriodMs / 2;
}

function requeue(input: RotationInput, after: readonly KeyRecord[]): number {
  const active = after.find((k) => k.state === "active");
  const times = after.filter((k) => k.state === "retiring").map((k) => k.retireAt ?? input.now);
  if (active) {
    times.push(rotationDue(active, input.rotationPeriodMs));
    if (!after.some((k) => k.state === "next")) {
      times.push(preparationDue(active, input.rotationPeriodMs));
    }
  }
  const soonest = Math.min(...times, input.now + input.rotationPeriodMs);
  return Math.max(MIN_REQUEUE_MS, soonest - input.now);
}

/** The change to the active (or next) key, if any is due: the first rule that applies wins. */
function activeKeyChange(
  input: RotationInput,
): Pick<RotationPlan, "steps" | "rotation" | "rekeyPending"> {
  const { keys, algorithm, now } = input;
  const active = keys.find((k) => k.state === "active");
  const next = keys.find((k) => k.state === "next");
  const usableNext = next?.algorithm === algorithm ? next : undefined;
  const create = (state: "next" | "active"): Step => ({ op: "create", state, algorithm });
  const retire = (k: KeyRecord): Step => ({
    op: "retire",
    id: k.id,
    retireAt: now + input.gracePeriodMs,
  });

  if (!active) {
    return {
      steps: [create("active")],
      rotation: keys.length === 0 ? "Initial" : "Repaired",
      rekeyPending: false,
    };
  }
  if (input.lockdown) {
    const drop = keys.map((k): Step => ({ op: "delete", id: k.id, reason: "Lockdown" }));
    return { steps: [create("active"), ...drop], rotation: "Lockdown", rekeyPending: false };
  }
  if (active.algorithm !== algorithm) {
    return input.rekeyAllowed
      ? {
          steps: [create("active"), retire(active)],
          rotation: "AlgorithmChanged",
          rekeyPending: false,
        }
      : { steps: [], rekeyPending: true };
  }
  if (now >= rotationDue(active, input.rotationPeriodMs)) {
    const promote: Step = usableNext ? { op: "promote", id: usableNext.id } : create("active");
    return { steps: [promote, retire(active)], rotation: "Scheduled", rekeyPending: false };
  }
  if (!usableNext && now >= preparationDue(active, input.rotationPeriodMs)) {
    return { steps: [create("next")], rekeyPending: false };
  }
  return { steps: [], rekeyPending: false };
}

/** Deletions due whatever else happens: a next key of the wrong algorithm, retiring keys past grace. */
function cleanup(input: RotationInput, planned: readonly Step[]): Step[] {
  const deleted = new Set(planned.flatMap((s) => (s.op === "delete" ? [s.id] : [])));
  const steps: Step[] = [];
  for (const k of input.keys) {
    if (deleted.has(k.id)) continue;
    if (k.state === "next" && k.algorithm !== input.algorithm) {
      steps.push({ op: "delete", id: k.id, reason: "AlgorithmChanged" });
    } else if (k.state === "retiring" && (k.retireAt ?? 0) <= input.now) {
      steps.push({ op: "delete", id: k.id, reason: "GraceExpired" });
    }
  }
  return steps;
}

/** Decides the keyring's next changes. Pure: the same input always gives the same plan. */
export function decideRotation(input: RotationInput): RotationPlan {
  const change = activeKeyChange(input);
  const steps = [...change.steps, ...cleanup(input, change.steps)];
  const after = applySteps(input.keys, steps, input.now, (algorithm, state) => ({
    id: `planned-${state}`,
    algorithm,
    state,
    createdAt: input.now,
    ...(state === "active" && { activatedAt: input.now }),
  }));
  return { ...change, steps, requeueAfterMs: requeue(input, after) };
}

/**
 * The keyring after `steps`. `create` builds each new key's record (the caller generates the key material
 * and so knows its id).
 */
export function applySteps(
  keys: readonly KeyRecord[],
  steps: readonly Step[],
  now: number,
  create: (algorithm: KemAlgorithm, state: "next" | "active") => KeyRecord,
): KeyRecord[] {
  let out = keys.map((k) => ({ ...k }));
  for (const step of steps) {
    switch (step.op) {
      case "create":
        out.push(create(step.algorithm, step.state));
        break;
      case "promote":
        out = out.map((k) => (k.id === step.id ? { ...k, state: "active", activatedAt: now } : k));
        break;
      case "retire":
        out = out.map((k) =>
          k.id === step.id ? { ...k, state: "retiring", retireAt: step.retireAt } : k,
        );
        break;
      case "delete":
        out = out.filter((k) => k.id !== step.id);
        break;
    }
  }
  return out;
}

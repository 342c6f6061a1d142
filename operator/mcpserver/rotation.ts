/**
 * The KEM key rotation decision for one MCPServer: a pure function of the keyring stored in the server's
 * Secret, the policy in force and the time. It prepares, activates and retires keys the way SPIRE rotates
 * its CAs:
 *
 *   delete Z, prepare B (G)          activate B (P)     delete A, prepare C (P + G)
 *   active  A ───────────────────────────┤ retiring A ───────┤ (gone)
 *   next          B (published) ─────────┤ active B ───────────────────────────────────┤ …
 *   next                                                      C (published) ─────────┤ …
 *
 *   P = rotationPeriod, G = gracePeriod (< P), times relative to A's activation; Z retired when A
 *   became active.
 *
 * - A next key is generated and published when the previous key's grace period ends, in the same write
 *   that deletes that key (a period costs two keyring writes, not three), or halfway through the active
 *   key's period if that is sooner (G > P/2, or no key is retiring), so clients can always fetch it at
 *   least half a period before it is used.
 * - At activation the next key becomes active and the old one retires: its private half stays for G to
 *   decrypt what was sealed to it, then is deleted.
 * - A server's first key (and a key that replaces a lost active key) is active for a shorter first
 *   period, f·P with f in [1/2, 1) fixed by a hash of the server's UID and stored with the key: servers
 *   created together then rotate spread over half a period instead of all in the same second, every
 *   period after. No period is ever longer than P; every later key is active for P.
 * - The keyring alone says what has happened (activation times and first-period fractions are stored
 *   with the keys), so a restart at any point neither loses a key nor rotates twice: the decision is
 *   simply taken again.
 * - A key whose algorithm the policy no longer allows is replaced at once (rate-limited across the
 *   cluster); the old key still retires with its grace period.
 * - A lockdown replaces the active key at once and deletes every other key, with no grace.
 *
 * @example
 * const plan = decideRotation({ keys, algorithm: "ML-KEM-768", rotationPeriodMs, gracePeriodMs,
 *   firstPeriodFraction: firstPeriodFraction(server.metadata.uid), lockdown: false, rekeyAllowed: true,
 *   now: Date.now() });
 */
import { createHash } from "node:crypto";
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
  /**
   * The share of `rotationPeriod` the key stays active, when it is less than all of it: a server's
   * first key (see {@link firstPeriodFraction}). In [{@link MIN_FIRST_PERIOD_FRACTION}, 1].
   */
  periodFraction?: number;
}

/** Why a new active key was made. */
export type RotationReason = "Initial" | "Scheduled" | "AlgorithmChanged" | "Lockdown" | "Repaired";

/** One change to the keyring; `create` steps get their key material when the plan is applied. */
export type Step =
  | { op: "create"; state: "next" | "active"; algorithm: KemAlgorithm; periodFraction?: number }
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
  /** The share of the period a first key stays active: {@link firstPeriodFraction} of the server's UID. */
  firstPeriodFraction: number;
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

/** The shortest first period, as a share of `rotationPeriod`. */
export const MIN_FIRST_PERIOD_FRACTION = 0.5;

/**
 * The share of `rotationPeriod` a server's first key stays active, in [1/2, 1): a hash of the server's
 * UID, so servers created in the same second rotate spread over half a period, and every replica and
 * restart computes the same value.
 *
 * @example
 * firstPeriodFraction("6f1c2a0e-8d3b-4c5e-9a7f-1b2c3d4e5f60"); // 0.5 ≤ f < 1, the same on every call
 */
export function firstPeriodFraction(uid: string): number {
  if (typeof uid !== "string" || uid.length === 0)
    throw new TypeError("`metadata.uid` must be a non-empty string");
  const word = createHash("sha256").update(uid).digest().readUInt32BE(0);
  return MIN_FIRST_PERIOD_FRACTION + (1 - MIN_FIRST_PERIOD_FRACTION) * (word / 2 ** 32);
}

/** How long `key` stays active: the rotation period, or its share of it for a first key. */
export function activePeriod(key: KeyRecord, rotationPeriodMs: number): number {
  return rotationPeriodMs * (key.periodFraction ?? 1);
}

/**
 * When the active key is due to be replaced.
 *
 * @example
 * rotationDue({ ...key, activatedAt: t }, 60_000); // t + 60_000 (t + 60_000 · f for a first key)
 */
export function rotationDue(active: KeyRecord, rotationPeriodMs: number): number {
  return (active.activatedAt ?? active.createdAt) + activePeriod(active, rotationPeriodMs);
}

/**
 * When the next key is due to be prepared: when the first retiring key's grace ends, so its deletion and
 * the preparation take one write, or halfway through the active key's period if that is sooner.
 *
 * @example
 * preparationDue(active, 60_000, [retiring]); // min(active.activatedAt + 30_000, retiring.retireAt)
 */
export function preparationDue(
  active: KeyRecord,
  rotationPeriodMs: number,
  retiring: readonly KeyRecord[] = [],
): number {
  const halfway =
    (active.activatedAt ?? active.createdAt) + activePeriod(active, rotationPeriodMs) / 2;
  return Math.min(halfway, ...retiring.map((k) => k.retireAt ?? 0));
}

function requeue(input: RotationInput, after: readonly KeyRecord[]): number {
  const active = after.find((k) => k.state === "active");
  const retiring = after.filter((k) => k.state === "retiring");
  const times = retiring.map((k) => k.retireAt ?? input.now);
  if (active) {
    times.push(rotationDue(active, input.rotationPeriodMs));
    if (!after.some((k) => k.state === "next")) {
      times.push(preparationDue(active, input.rotationPeriodMs, retiring));
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
  const create = (state: "next" | "active", periodFraction?: number): Step => ({
    op: "create",
    state,
    algorithm,
    ...(periodFraction !== undefined && { periodFraction }),
  });
  const retiring = keys.filter((k) => k.state === "retiring");
  const retire = (k: KeyRecord): Step => ({
    op: "retire",
    id: k.id,
    retireAt: now + input.gracePeriodMs,
  });

  if (!active) {
    // A first key: its period is shortened, so servers created together do not rotate together.
    return {
      steps: [create("active", input.firstPeriodFraction)],
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
  if (!usableNext && now >= preparationDue(active, input.rotationPeriodMs, retiring)) {
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
  const f = input.firstPeriodFraction;
  if (!(f >= MIN_FIRST_PERIOD_FRACTION && f <= 1))
    throw new RangeError(
      `\`firstPeriodFraction\` must be in [${MIN_FIRST_PERIOD_FRACTION}, 1], got ${f}`,
    );
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
      case "create": {
        const shortened = step.periodFraction !== undefined && step.periodFraction < 1;
        out.push({
          ...create(step.algorithm, step.state),
          ...(shortened && { periodFraction: step.periodFraction }),
        });
        break;
      }
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

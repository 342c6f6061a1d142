/**
 * The decisions of leader election, as pure functions over the Lease record (client-go's
 * `tryAcquireOrRenew` and `release`, kept apart from the API calls so they can be tested table-driven).
 *
 * Expiry is judged by the candidate's own clock, never by the holder's timestamps: a lease held by
 * someone else is valid until `leaseDurationSeconds` after the moment this candidate first saw the
 * record in its current form. Clock skew between replicas therefore cannot end a lease early; the price
 * is that a fresh candidate waits one full lease duration before taking over a stale lease.
 *
 * @example
 * const decision = decideLease({ current, observedAt, now, identity: "pod-a", leaseDurationSeconds: 60 });
 * if (decision.kind !== "held") await writeLease(decision.record);
 */

/**
 * The leader-election fields of a Lease's spec.
 *
 * @example
 * const record: LeaseRecord = {
 *   holderIdentity: "pod-a", leaseDurationSeconds: 60, acquireTime: now, renewTime: now, leaseTransitions: 0,
 * };
 */
export interface LeaseRecord {
  /** Empty when nobody holds the lease (it was released). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: Date;
  renewTime: Date;
  leaseTransitions: number;
}

/**
 * What a candidate knows when it decides.
 *
 * @example
 * const input: LeaseInput = { current, observedAt, now: clock.now(), identity, leaseDurationSeconds: 60 };
 */
export interface LeaseInput {
  /** The record as read, or undefined if the Lease does not exist. */
  current: LeaseRecord | undefined;
  /** When this candidate first saw `current` as it is now (its own clock). */
  observedAt: Date;
  now: Date;
  identity: string;
  /** The duration this candidate writes when it holds the lease. */
  leaseDurationSeconds: number;
}

/**
 * Whether to write the lease (`acquire` a free or expired one, `renew` our own) or leave it (`held`).
 *
 * @example
 * if (decision.kind === "held") log.debug({ holder: decision.holder }, "Found leader lease held");
 */
export type LeaseDecision =
  | { kind: "held"; holder: string; expiresAt: Date }
  | { kind: "acquire" | "renew"; record: LeaseRecord };

/**
 * Decides what a candidate does with the lease it read.
 *
 * @example
 * decideLease({ current: undefined, observedAt: now, now, identity: "a", leaseDurationSeconds: 60 });
 * // { kind: "acquire", record: { holderIdentity: "a", leaseTransitions: 0, ... } }
 */
export function decideLease(input: LeaseInput): LeaseDecision {
  const { current, observedAt, now, identity, leaseDurationSeconds } = input;
  if (!current) {
    const record = {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: now,
      renewTime: now,
    };
    return { kind: "acquire", record: { ...record, leaseTransitions: 0 } };
  }
  if (current.holderIdentity === identity) {
    return { kind: "renew", record: { ...current, leaseDurationSeconds, renewTime: now } };
  }
  const expiresAt = new Date(observedAt.getTime() + current.leaseDurationSeconds * 1000);
  if (current.holderIdentity !== "" && expiresAt > now) {
    return { kind: "held", holder: current.holderIdentity, expiresAt };
  }
  return {
    kind: "acquire",
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: current.leaseTransitions + 1,
    },
  };
}

/**
 * The record a leader writes when it steps down gracefully: no holder and a one-second duration, so the
 * next candidate takes over at its next attempt instead of waiting for the lease to expire.
 *
 * @example
 * const record = releasedRecord(current, clock.now()); // holderIdentity: ""
 */
export function releasedRecord(current: LeaseRecord, now: Date): LeaseRecord {
  return {
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: current.leaseTransitions,
  };
}

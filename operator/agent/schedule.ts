/**
 * When the agent asks for its next certificate. Pure: time and randomness are arguments.
 *
 * - Renewal at about two thirds of the certificate's lifetime (from `notBefore`), with ±5 % of the
 *   lifetime of jitter so pods started together (a rollout) do not renew together; a third of the
 *   lifetime is left to retry in if the issuer is down.
 * - Retries with capped exponential backoff (1 s doubling to 60 s) and "equal jitter": each delay is
 *   between half and all of the exponential step, so retries spread out but still back off.
 *
 * @example
 * const delay = renewalDelay({ notBefore, notAfter }, new Date(), Math.random()); // ≈ 40 min for 1 h
 * const retry = retryDelay(3, Math.random()); // 2–4 s
 */
import { backoffDelay, type BackoffPolicy } from "../runtime/backoff.ts";

/**
 * The fraction of the lifetime after which a certificate is renewed, before jitter.
 *
 * @example
 * notBefore + RENEW_FRACTION * lifetime; // the nominal renewal time
 */
export const RENEW_FRACTION = 2 / 3;

/**
 * The width of the renewal jitter, as a fraction of the lifetime (±half of it around the nominal time).
 *
 * @example
 * RENEW_FRACTION ± JITTER_FRACTION / 2; // 0.617 … 0.717
 */
export const JITTER_FRACTION = 0.1;

/**
 * How retries slow down after failures.
 *
 * @example
 * retryDelay(failures, Math.random(), RETRY_BACKOFF);
 */
export const RETRY_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 60_000 };

/** Never re-request sooner than this after a success, whatever the certificate says. */
const MIN_RENEWAL_DELAY_MS = 1000;

/**
 * Milliseconds from `now` until the certificate valid from `notBefore` to `notAfter` should be renewed;
 * `random` is uniform in [0, 1).
 *
 * @example
 * renewalDelay({ notBefore: t0, notAfter: t0 + 3h }, t0, 0.5); // 2 h
 */
export function renewalDelay(
  validity: { notBefore: Date; notAfter: Date },
  now: Date,
  random: number,
): number {
  const start = validity.notBefore.getTime();
  const lifetime = Math.max(0, validity.notAfter.getTime() - start);
  const fraction = RENEW_FRACTION + (clamp01(random) - 0.5) * JITTER_FRACTION;
  return Math.max(MIN_RENEWAL_DELAY_MS, start + lifetime * fraction - now.getTime());
}

/**
 * Milliseconds to wait before retry number `failures` (1 after the first failure); `random` is uniform
 * in [0, 1).
 *
 * @example
 * retryDelay(1, 0); // 500
 * retryDelay(20, 0.999); // just under 60000
 */
export function retryDelay(
  failures: number,
  random: number,
  policy: BackoffPolicy = RETRY_BACKOFF,
): number {
  const step = backoffDelay(policy, Math.max(1, failures));
  return step / 2 + (step / 2) * clamp01(random);
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0.5;
}

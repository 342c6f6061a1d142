/**
 * The cluster-wide rate limit on re-keying: when a policy stops allowing an algorithm, every affected
 * server needs a new key, and generating thousands at once would starve the operator and flood the API
 * server. A token bucket lets `burst` re-keys through at once, then `perSecond`.
 *
 * @example
 * const limiter = new RekeyLimiter({ perSecond: 5, burst: 20 }, () => Date.now());
 * if (limiter.tryTake()) rekey(); else requeueAfter(limiter.waitMs());
 */

/** Re-keys per second, and how many may go at once. */
export interface RekeyRate {
  perSecond: number;
  burst: number;
}

/** A token bucket on an injected clock. */
export class RekeyLimiter {
  private readonly rate: RekeyRate;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(rate: RekeyRate, now: () => number) {
    if (!(rate.perSecond > 0)) throw new RangeError("`perSecond` must be greater than 0");
    if (!(rate.burst >= 1)) throw new RangeError("`burst` must be at least 1");
    this.rate = rate;
    this.now = now;
    this.tokens = rate.burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(
      this.rate.burst,
      this.tokens + ((t - this.last) / 1000) * this.rate.perSecond,
    );
    this.last = t;
  }

  /** Whether a re-key may go now (without taking it). */
  available(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  /** Takes one re-key if one is available. */
  tryTake(): boolean {
    if (!this.available()) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next re-key may go; 0 if one may go now. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate.perSecond) * 1000);
  }
}

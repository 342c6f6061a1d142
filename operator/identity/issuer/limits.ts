/**
 * How much of the operator one client of the issuance API may use. Each request costs a TokenReview
 * and a pod read on the API server, so without limits any caller that reaches the port could spend the
 * operator's and the API server's capacity. Two limits, checked before any of that work:
 *
 * - Per client, a token bucket: `burst` requests at once, refilled at `perSecond`. An agent asks once
 *   every two thirds of a certificate's lifetime (minutes to hours), so the defaults (10/s, burst 20)
 *   never touch a workload, even a node of pods sharing one address, while one client flooding the port
 *   is answered 429 at once. Clients are keyed by address (client-key.ts), and at most `maxClients`
 *   buckets are kept, least recently used first out, so a flood from ever new addresses cannot grow
 *   memory: a forgotten client only regains a full bucket, which an unseen client has anyway.
 * - In flight, a counting semaphore: at most `maxInFlight` requests are being decided at once; one
 *   more is answered 503 at once, never queued, so a slow API server cannot make requests pile up.
 *
 * Both are pure over an injected clock; the server turns their answers into 429 and 503 with
 * `Retry-After`.
 *
 * @example
 * const rate = new ClientRateLimiter({ perSecond: 10, burst: 20 }, Date.now);
 * const taken = rate.take(clientKey(req.socket.remoteAddress));
 * if (!taken.ok) res.set("retry-after", String(Math.ceil(taken.retryAfterMs / 1000))).status(429);
 */

/**
 * The issuance API's limits (`--issuer-rate`, `--issuer-burst`, `--issuer-max-inflight`).
 *
 * @example
 * const limits: IssuerLimits = { perSecond: 10, burst: 20, maxInFlight: 64 };
 */
export interface IssuerLimits {
  /** Requests per second per client; undefined: no per-client limit. */
  perSecond?: number;
  /** Requests one client may make at once before `perSecond` applies. */
  burst?: number;
  /** Requests decided at once, across all clients. */
  maxInFlight: number;
  /** Clients remembered; default {@link DEFAULT_MAX_CLIENTS}. */
  maxClients?: number;
}

/**
 * How many clients' buckets are kept by default: about 1 MB.
 *
 * @example
 * new ClientRateLimiter({ perSecond: 10, burst: 20, maxClients: DEFAULT_MAX_CLIENTS }, Date.now);
 */
export const DEFAULT_MAX_CLIENTS = 10_000;

/**
 * The operator's defaults.
 *
 * @example
 * startIssuer({ ...options, limits: DEFAULT_ISSUER_LIMITS });
 */
export const DEFAULT_ISSUER_LIMITS: Readonly<Required<IssuerLimits>> = {
  perSecond: 10,
  burst: 20,
  maxInFlight: 64,
  maxClients: DEFAULT_MAX_CLIENTS,
};

/**
 * Whether a request may go, and if not, when it might.
 *
 * @example
 * if (!taken.ok) setTimeout(retry, taken.retryAfterMs);
 */
export type Taken = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per client, least recently used forgotten first (see the module notes).
 *
 * @example
 * const limiter = new ClientRateLimiter({ perSecond: 10, burst: 20 }, () => clock.now().getTime());
 */
export class ClientRateLimiter {
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly maxClients: number;
  private readonly now: () => number;
  /** In least recently used order: a Map iterates in insertion order, and a use re-inserts. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(rate: { perSecond: number; burst: number; maxClients?: number }, now: () => number) {
    if (!(Number.isFinite(rate.perSecond) && rate.perSecond > 0))
      throw new RangeError("`perSecond` must be a positive number");
    if (!(Number.isInteger(rate.burst) && rate.burst >= 1))
      throw new RangeError("`burst` must be a positive integer");
    const maxClients = rate.maxClients ?? DEFAULT_MAX_CLIENTS;
    if (!(Number.isInteger(maxClients) && maxClients >= 1))
      throw new RangeError("`maxClients` must be a positive integer");
    this.perSecond = rate.perSecond;
    this.burst = rate.burst;
    this.maxClients = maxClients;
    this.now = now;
  }

  /** Clients remembered now (at most `maxClients`). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one request from `client`'s bucket if it has one. */
  take(client: string): Taken {
    const now = this.now();
    const bucket = this.buckets.get(client);
    // A clock that stepped back refills nothing, and takes nothing away.
    const elapsed = bucket ? Math.max(0, now - bucket.at) : 0;
    const tokens = bucket
      ? Math.min(this.burst, bucket.tokens + (elapsed / 1000) * this.perSecond)
      : this.burst;
    this.buckets.delete(client);
    if (tokens >= 1) {
      this.remember(client, { tokens: tokens - 1, at: now });
      return { ok: true };
    }
    this.remember(client, { tokens, at: now });
    return { ok: false, retryAfterMs: Math.ceil(((1 - tokens) / this.perSecond) * 1000) };
  }

  private remember(client: string, bucket: Bucket): void {
    this.buckets.set(client, bucket);
    if (this.buckets.size > this.maxClients)
      this.buckets.delete(this.buckets.keys().next().value as string);
  }
}

/**
 * A counting semaphore that never waits: `tryAcquire` returns a release function, or undefined when
 * `max` holders already hold it.
 *
 * @example
 * const release = inFlight.tryAcquire();
 * if (!release) return overloaded();
 * try { return await handle(); } finally { release(); }
 */
export class InFlightLimit {
  private readonly max: number;
  private held = 0;

  constructor(max: number) {
    if (!(Number.isInteger(max) && max >= 1))
      throw new RangeError("`max` must be a positive integer");
    this.max = max;
  }

  /** How many hold it now. */
  get inFlight(): number {
    return this.held;
  }

  /** A release function (calling it more than once releases once), or undefined when full. */
  tryAcquire(): (() => void) | undefined {
    if (this.held >= this.max) return undefined;
    this.held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held--;
    };
  }
}

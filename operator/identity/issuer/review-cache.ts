/**
 * Successful TokenReviews, remembered for a short while, as the API server's own webhook token
 * authenticator remembers them (`--authentication-token-webhook-cache-ttl`) and as kube-apiserver caches
 * every successful token authentication for 10 s: an agent that retries, or many requests carrying one
 * token, cost the API server one review, not one each.
 *
 * - Keyed by the SHA-256 of the token: the token itself is never kept.
 * - Only successes are kept, for at most `ttlMs` (default 10 s) and never past the token's own `exp`.
 *   The claim is read from the token only after the API server authenticated that exact token (the key is
 *   its hash), so it is the signed claim; a token without a readable `exp` is not kept at all.
 * - At most `maxEntries` (default 4,096) tokens; when full, the oldest entry makes room.
 * - Concurrent reviews of one token are one review: later requests wait for the one in flight.
 *
 * What a remembered review cannot see is a revocation inside its lifetime: a deleted ServiceAccount is
 * refused once the entry expires (and kube-apiserver's own cache has let go), at most `ttlMs` after it
 * was last reviewed. A deleted or replaced pod is refused at once: the issuer checks the pod on every
 * request (pod-read.ts), whatever the review said.
 *
 * @example
 * const review = cachedReview((token) => reviewToken(api, token, audience), { now: Date.now });
 * await review(token); // asks the API server
 * await review(token); // answered from memory for up to 10 s
 */
import { createHash } from "node:crypto";
import type { TokenReviewResult } from "./token-review.ts";

/**
 * How long and how many reviews are kept.
 *
 * @example
 * const options: ReviewCacheOptions = { ttlMs: 10_000, maxEntries: 4096, now: Date.now };
 */
export interface ReviewCacheOptions {
  /** Default {@link REVIEW_CACHE_TTL_MS}; 0 keeps nothing. */
  ttlMs?: number;
  /** Default 4,096. */
  maxEntries?: number;
  /** Milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
  /** Called with each lookup's outcome (a review shared with one in flight is a hit); must not throw. */
  onLookup?: (hit: boolean) => void;
}

/**
 * How long a successful review is remembered by default: kube-apiserver's own cache of successful token
 * authentications, so a revocation is seen no later than the API server itself would let it through.
 *
 * @example
 * cachedReview(review, { ttlMs: REVIEW_CACHE_TTL_MS });
 */
export const REVIEW_CACHE_TTL_MS = 10_000;

/**
 * When a token says it expires, in milliseconds since the epoch; undefined when it does not say.
 *
 * @example
 * tokenExpiry(jwt); // 1767225600000
 */
export function tokenExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(
      Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"),
    ) as { exp?: unknown };
    return typeof payload.exp === "number" && Number.isFinite(payload.exp)
      ? payload.exp * 1000
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `review`, with its successes remembered (see the module notes). Throws a RangeError naming a bad option.
 *
 * @example
 * const review = cachedReview((token) => reviewToken(api, token, audience));
 */
export function cachedReview(
  review: (token: string) => Promise<TokenReviewResult>,
  options: ReviewCacheOptions = {},
): (token: string) => Promise<TokenReviewResult> {
  const { ttlMs = REVIEW_CACHE_TTL_MS, maxEntries = 4096, now = Date.now, onLookup } = options;
  if (!(Number.isFinite(ttlMs) && ttlMs >= 0))
    throw new RangeError("`ttlMs` must be a non-negative number");
  if (!(Number.isInteger(maxEntries) && maxEntries >= 1))
    throw new RangeError("`maxEntries` must be a positive integer");
  const kept = new Map<string, { result: TokenReviewResult; until: number }>();
  const inFlight = new Map<string, Promise<TokenReviewResult>>();
  const remember = (key: string, token: string, result: TokenReviewResult) => {
    const until = Math.min(now() + ttlMs, tokenExpiry(token) ?? -Infinity);
    if (!result.ok || until <= now()) return;
    if (kept.size >= maxEntries) kept.delete(kept.keys().next().value!);
    kept.set(key, { result, until });
  };
  return (token) => {
    const key = createHash("sha256").update(token).digest("hex");
    const hit = kept.get(key);
    if (hit && now() < hit.until) {
      onLookup?.(true);
      return Promise.resolve(hit.result);
    }
    if (hit) kept.delete(key);
    const running = inFlight.get(key);
    onLookup?.(running !== undefined);
    if (running) return running;
    const asked = review(token)
      .then((result) => {
        remember(key, token, result);
        return result;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, asked);
    return asked;
  };
}

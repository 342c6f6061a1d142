// The TokenReview cache with a review function that counts its calls and a clock the test moves: what is
// kept, for how long (the shorter of the TTL and the token's own expiry), what never is (refusals, tokens
// without an expiry), the bound on entries, and one review for concurrent requests with one token.
import { describe, expect, it } from "vitest";
import { cachedReview, REVIEW_CACHE_TTL_MS, tokenExpiry } from "./review-cache.ts";
import type { TokenReviewResult } from "./token-review.ts";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const jwt = (payload: unknown) =>
  `e30.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.c2ln`;
/** A token that expires `inMs` after NOW; `n` tells tokens apart. */
const token = (inMs: number, n = 0) => jwt({ exp: (NOW + inMs) / 1000, n });
const pod = { namespace: "mcp", serviceAccount: "search", name: "search-0", uid: "u-1" };
const OK: TokenReviewResult = { ok: true, pod };
const REFUSED: TokenReviewResult = { ok: false, reason: "InvalidToken", message: "no" };

function setup(result: TokenReviewResult = OK, options: { maxEntries?: number } = {}) {
  let now = NOW;
  const reviewed: string[] = [];
  const lookups: boolean[] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const review = cachedReview(
    async (t) => {
      reviewed.push(t);
      if (hold) await new Promise<void>((r) => (release = r));
      return result;
    },
    { now: () => now, onLookup: (hit) => lookups.push(hit), ...options },
  );
  return {
    review,
    reviewed,
    lookups,
    advance: (ms: number) => void (now += ms),
    holdNext: () => void (hold = true),
    release: () => release?.(),
  };
}

describe("tokenExpiry", () => {
  it.each<[string, string, number | undefined]>([
    ["an exp claim", jwt({ exp: 1_900_000_000 }), 1_900_000_000_000],
    ["no exp claim", jwt({ sub: "x" }), undefined],
    ["an exp that is not a number", jwt({ exp: "soon" }), undefined],
    ["a payload that is not JSON", "e30.bm90LWpzb24.c2ln", undefined],
  ])("reads %s", (_name, t, expected) => {
    expect(tokenExpiry(t)).toBe(expected);
  });
});

describe("cachedReview", () => {
  it("answers a token it reviewed successfully from memory until the TTL ends, then asks again", async () => {
    const { review, reviewed, advance } = setup();
    const t = token(3_600_000);
    expect(await review(t)).toEqual(OK);
    advance(REVIEW_CACHE_TTL_MS - 1);
    expect(await review(t)).toEqual(OK);
    expect(reviewed).toHaveLength(1);
    advance(1);
    expect(await review(t)).toEqual(OK);
    expect(reviewed).toHaveLength(2);
  });

  it("keeps a token no longer than the token is valid", async () => {
    const { review, reviewed, advance } = setup();
    const t = token(3_000);
    await review(t);
    advance(2_999);
    await review(t);
    expect(reviewed).toHaveLength(1);
    advance(1);
    await review(t);
    expect(reviewed).toHaveLength(2);
  });

  it.each<[string, TokenReviewResult, string]>([
    ["a refusal", REFUSED, token(3_600_000)],
    ["a token without an expiry", OK, jwt({ sub: "x" })],
    ["an expired token", OK, token(-1)],
  ])("never keeps %s", async (_name, result, t) => {
    const { review, reviewed } = setup(result);
    expect(await review(t)).toEqual(result);
    expect(await review(t)).toEqual(result);
    expect(reviewed).toHaveLength(2);
  });

  it("tells tokens apart, and keeps none of them in the clear", async () => {
    const { review, reviewed } = setup();
    await review(token(3_600_000, 1));
    await review(token(3_600_000, 2));
    await review(token(3_600_000, 1));
    expect(reviewed).toEqual([token(3_600_000, 1), token(3_600_000, 2)]);
  });

  it("makes room by forgetting the oldest token when full", async () => {
    const { review, reviewed } = setup(OK, { maxEntries: 2 });
    for (const n of [1, 2, 3]) await review(token(3_600_000, n));
    await review(token(3_600_000, 3));
    await review(token(3_600_000, 2));
    expect(reviewed).toHaveLength(3);
    await review(token(3_600_000, 1));
    expect(reviewed).toHaveLength(4);
  });

  it("reports each lookup as a hit or a miss", async () => {
    const { review, lookups, advance } = setup();
    const t = token(3_600_000);
    await review(t);
    await review(t);
    advance(REVIEW_CACHE_TTL_MS);
    await review(t);
    expect(lookups).toEqual([false, true, false]);
  });

  it("shares one review among requests that arrive while it is in flight", async () => {
    const { review, reviewed, lookups, holdNext, release } = setup();
    holdNext();
    const t = token(3_600_000);
    const answers = [review(t), review(t), review(t)];
    await new Promise((r) => setImmediate(r));
    release();
    expect(await Promise.all(answers)).toEqual([OK, OK, OK]);
    expect(reviewed).toHaveLength(1);
    expect(lookups).toEqual([false, true, true]);
  });

  it("gives a failed review to the requests that waited for it, and remembers nothing", async () => {
    let calls = 0;
    const review = cachedReview(() => {
      calls++;
      return Promise.reject(new Error("API server down"));
    });
    const t = token(3_600_000);
    await expect(Promise.all([review(t), review(t)])).rejects.toThrow("API server down");
    await expect(review(t)).rejects.toThrow("API server down");
    expect(calls).toBe(2);
  });

  it.each([
    [{ ttlMs: -1 }, "`ttlMs`"],
    [{ maxEntries: 0 }, "`maxEntries`"],
  ])("refuses %j, naming the option", (options, name) => {
    expect(() => cachedReview(() => Promise.resolve(OK), options)).toThrow(name);
  });
});

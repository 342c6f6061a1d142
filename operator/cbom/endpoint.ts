/**
 * `GET /v1/cbom` on the operator: the same CBOM `latticeguard cbom` writes, for a caller the API server
 * authenticates and authorizes (access.ts). One request, cheapest check first, so a flood costs the API
 * server little:
 *
 *   the client's rate limit (1 a second, burst 5: 429 `RateLimited` with `Retry-After`) → a place among
 *   the 4 requests decided at once (503 `Overloaded`) → a bearer token shaped like a JWT (401) →
 *   TokenReview for `latticeguard.dev/cbom` (401) → SubjectAccessReview: may the caller `list`
 *   `cryptopolicies.latticeguard.dev`? (403 `Forbidden`) → the CBOM (200,
 *   `application/vnd.cyclonedx+json; version=1.6`).
 *
 * A failed or slow API call is 503 `Unavailable`; a failed build is 500 `InternalError`. Building reads
 * the cluster, so concurrent requests share one build and a build serves for 5 s ({@link SharedBuild}):
 * however many callers ask, a replica reads the cluster at most once every 5 s. Each answer is counted in
 * `latticeguard_cbom_requests_total{result}` and logged with the caller's name and the result, never the
 * token.
 *
 * @example
 * const route = cbomRoute({ handle: cbomHandler(deps), metrics, log });
 * await startIssuer({ ...options, routes: [route] });
 */
import type {
  V1SubjectAccessReviewSpec,
  V1SubjectAccessReviewStatus,
  V1TokenReviewStatus,
} from "@kubernetes/client-node";
import type { Response } from "express";
import { clientKey } from "../http/client-key.ts";
import { ClientRateLimiter, InFlightLimit } from "../identity/issuer/limits.ts";
import type { IssuerRoute } from "../identity/issuer/server.ts";
import { bearerToken } from "../identity/issuer/token-review.ts";
import type { Logger } from "../log.ts";
import {
  CBOM_AUDIENCE,
  CBOM_PERMISSION,
  CBOM_REFUSAL_STATUS,
  accessReviewSpec,
  callerOf,
  cbomResult,
  isAllowed,
  type CbomRefusal,
} from "./access.ts";
import { CBOM_MEDIA_TYPE } from "./crypto-model.ts";
import type { CbomMetrics } from "./metrics.ts";

/**
 * The path of the CBOM.
 *
 * @example
 * new URL(CBOM_PATH, "https://latticeguard-issuer.latticeguard-system.svc:8443");
 */
export const CBOM_PATH = "/v1/cbom";

/**
 * How long one build serves later requests.
 *
 * @example
 * new SharedBuild(build, CBOM_MAX_AGE_MS);
 */
export const CBOM_MAX_AGE_MS = 5_000;

/**
 * Per-client rate, burst, and requests decided at once.
 *
 * @example
 * cbomRoute({ ...options, limits: CBOM_LIMITS });
 */
export const CBOM_LIMITS = { perSecond: 1, burst: 5, maxInFlight: 4 } as const;

/**
 * One request's outcome: the CBOM, or a refusal; `caller` once the token named one.
 *
 * @example
 * const outcome: CbomOutcome = { ok: false, reason: "Forbidden", message: "…", caller: "alice" };
 */
export type CbomOutcome =
  | { ok: true; body: string; caller: string }
  | { ok: false; reason: CbomRefusal; message: string; caller?: string; cause?: unknown };

/**
 * What the handler needs: the two reviews and the build.
 *
 * @example
 * const deps: CbomDeps = { review: (t) => …, access: (spec) => …, build: () => shared.get() };
 */
export interface CbomDeps {
  /** A TokenReview of `token` for `audience`; its status. */
  review(token: string, audience: string): Promise<V1TokenReviewStatus | undefined>;
  /** A SubjectAccessReview of `spec`; its status. */
  access(spec: V1SubjectAccessReviewSpec): Promise<V1SubjectAccessReviewStatus | undefined>;
  /** The CBOM, serialized. */
  build(): Promise<string>;
}

const refused = (
  reason: CbomRefusal,
  message: string,
  extra: { caller?: string; cause?: unknown } = {},
): CbomOutcome => ({
  ok: false,
  reason,
  message,
  ...extra,
});

/**
 * The decision for one request, from its `Authorization` header (see the module notes). Never throws.
 *
 * @example
 * const handle = cbomHandler(deps);
 * await handle("Bearer eyJ…"); // { ok: true, body: "{ … }", caller: "system:serviceaccount:tools:scanner" }
 */
export function cbomHandler(
  deps: CbomDeps,
): (authorization: string | undefined) => Promise<CbomOutcome> {
  return async (authorization) => {
    const bearer = bearerToken(authorization);
    if (!("token" in bearer)) {
      const { reason, message } = bearer as { reason: CbomRefusal; message: string };
      return refused(reason, message);
    }
    let status;
    try {
      status = await deps.review(bearer.token, CBOM_AUDIENCE);
    } catch (cause) {
      return refused("Unavailable", "the API server did not review the token; try again", {
        cause,
      });
    }
    const who = callerOf(status, CBOM_AUDIENCE);
    if (!who.ok) return refused(who.reason, who.message);
    const caller = who.caller.username;
    try {
      if (!isAllowed(await deps.access(accessReviewSpec(who.caller)))) {
        const { verb, resource, group } = CBOM_PERMISSION;
        return refused("Forbidden", `"${caller}" may not ${verb} ${resource}.${group}`, { caller });
      }
    } catch (cause) {
      return refused("Unavailable", "the API server did not authorize the request; try again", {
        caller,
        cause,
      });
    }
    try {
      return { ok: true, body: await deps.build(), caller };
    } catch (cause) {
      return refused("InternalError", "the CBOM could not be built; try again", { caller, cause });
    }
  };
}

/**
 * One build at a time, shared by every request that arrives while it runs, and reused for `maxAgeMs`
 * after it succeeded; a failed build is not reused.
 *
 * @example
 * const shared = new SharedBuild(() => buildJson(), 5_000);
 * await Promise.all([shared.get(), shared.get()]); // one build
 */
export class SharedBuild {
  private readonly build: () => Promise<string>;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private current: { result: Promise<string>; doneAt?: number } | undefined;

  constructor(build: () => Promise<string>, maxAgeMs: number, now: () => number = Date.now) {
    if (!(Number.isFinite(maxAgeMs) && maxAgeMs >= 0))
      throw new RangeError("`maxAgeMs` must be a number >= 0");
    this.build = build;
    this.maxAgeMs = maxAgeMs;
    this.now = now;
  }

  /** The running build, a recent one, or a new one. */
  get(): Promise<string> {
    const current = this.current;
    if (current && (current.doneAt === undefined || this.now() - current.doneAt < this.maxAgeMs))
      return current.result;
    const entry: { result: Promise<string>; doneAt?: number } = { result: this.build() };
    this.current = entry;
    entry.result.then(
      () => void (entry.doneAt = this.now()),
      () => void (this.current === entry && (this.current = undefined)),
    );
    return entry.result;
  }
}

/** What may be logged of an error behind a failed request: its HTTP code and first line. */
function describeCause(cause: unknown): { code?: number; message: string } {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const message =
    cause instanceof Error ? cause.message.split("\n")[0]!.slice(0, 200) : String(cause);
  return { ...(typeof code === "number" && { code }), message };
}

/**
 * The `GET /v1/cbom` route: limits, the handler, the answer, the metric and the log line.
 *
 * @example
 * const route = cbomRoute({ handle: cbomHandler(deps), metrics: createCbomMetrics(registry), log });
 */
export function cbomRoute(options: {
  handle: (authorization: string | undefined) => Promise<CbomOutcome>;
  metrics: CbomMetrics;
  log: Logger;
  limits?: { perSecond: number; burst: number; maxInFlight: number };
  now?: () => number;
}): IssuerRoute {
  const limits = options.limits ?? CBOM_LIMITS;
  const perClient = new ClientRateLimiter(limits, options.now ?? Date.now);
  const places = new InFlightLimit(limits.maxInFlight);
  const answer = (res: Response, outcome: CbomOutcome, retryAfterMs?: number) => {
    options.metrics.requests.inc({ result: cbomResult(outcome.ok ? undefined : outcome.reason) });
    res.set("cache-control", "no-store");
    if (retryAfterMs !== undefined)
      res.set("retry-after", String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    if (outcome.ok) {
      options.log.info({ caller: outcome.caller, bytes: outcome.body.length }, "Served CBOM");
      res.status(200).type(CBOM_MEDIA_TYPE).send(outcome.body);
      return;
    }
    const { reason, message, caller, cause } = outcome;
    const status = CBOM_REFUSAL_STATUS[reason];
    if (status >= 500 && reason !== "Overloaded")
      options.log.warn(
        { reason, caller, error: describeCause(cause) },
        "Failed to answer CBOM request",
      );
    else options.log.debug({ reason, caller }, "Refused CBOM request");
    res.status(status).json({ reason, message });
  };
  return {
    path: CBOM_PATH,
    async handle(req, res) {
      const taken = perClient.take(clientKey(req.socket.remoteAddress));
      if (!taken.ok)
        return answer(
          res,
          refused("RateLimited", "too many CBOM requests from this client; try again later"),
          taken.retryAfterMs,
        );
      const release = places.tryAcquire();
      if (!release)
        return answer(
          res,
          refused("Overloaded", "too many CBOM requests at once; try again shortly"),
          1000,
        );
      try {
        answer(res, await options.handle(req.headers.authorization));
      } catch (cause) {
        answer(res, refused("InternalError", "the CBOM request failed; try again", { cause }));
      } finally {
        release();
      }
    },
  };
}

/**
 * Who may read the CBOM from the operator: a caller whose bearer token the API server authenticates
 * (TokenReview, for the audience `latticeguard.dev/cbom`, so a token meant for the API server or for the
 * issuance API is not accepted here, and a token sent here is useless anywhere else) and whom the API
 * server authorizes to `list` `cryptopolicies.latticeguard.dev` (SubjectAccessReview). Any user the API
 * server authenticates may ask: people and service accounts alike. Every refusal has a reason and an HTTP
 * status. Pure.
 *
 * @example
 * const caller = callerOf(review.status, CBOM_AUDIENCE);
 * if (caller.ok) accessReviewSpec(caller.user); // { user, groups, uid, extra, resourceAttributes }
 */
import type {
  V1SubjectAccessReviewSpec,
  V1SubjectAccessReviewStatus,
  V1TokenReviewStatus,
} from "@kubernetes/client-node";
import { GROUP } from "../api/crd.ts";

/**
 * The audience a caller's token must carry.
 *
 * @example
 * // kubectl create token cbom-reader --audience=latticeguard.dev/cbom
 */
export const CBOM_AUDIENCE = "latticeguard.dev/cbom";

/**
 * What a caller must be allowed to do: list CryptoPolicies, the cluster-wide view of its cryptography.
 *
 * @example
 * // kubectl create clusterrole latticeguard-cbom-reader --verb=list --resource=cryptopolicies.latticeguard.dev
 */
export const CBOM_PERMISSION = { group: GROUP, resource: "cryptopolicies", verb: "list" } as const;

/**
 * Why a CBOM request was refused.
 *
 * @example
 * const reason: CbomRefusal = "Forbidden";
 */
export type CbomRefusal =
  | "MissingToken"
  | "MalformedToken"
  | "InvalidToken"
  | "WrongAudience"
  | "Forbidden"
  | "RateLimited"
  | "Overloaded"
  | "Unavailable"
  | "InternalError";

/**
 * The HTTP status of each refusal.
 *
 * @example
 * CBOM_REFUSAL_STATUS.Forbidden; // 403
 */
export const CBOM_REFUSAL_STATUS: Readonly<Record<CbomRefusal, number>> = {
  MissingToken: 401,
  MalformedToken: 401,
  InvalidToken: 401,
  WrongAudience: 401,
  Forbidden: 403,
  RateLimited: 429,
  Overloaded: 503,
  Unavailable: 503,
  InternalError: 500,
};

/**
 * The `result` label of `latticeguard_cbom_requests_total`: `served`, or the class of a refusal.
 *
 * @example
 * cbomResult("WrongAudience"); // "unauthenticated"
 */
export type CbomResult =
  | "served"
  | "unauthenticated"
  | "forbidden"
  | "rate_limited"
  | "overloaded"
  | "unavailable"
  | "error";

/**
 * The metric result of an outcome.
 *
 * @example
 * cbomResult(undefined); // "served"
 */
export function cbomResult(refusal: CbomRefusal | undefined): CbomResult {
  switch (refusal) {
    case undefined:
      return "served";
    case "Forbidden":
      return "forbidden";
    case "RateLimited":
      return "rate_limited";
    case "Overloaded":
      return "overloaded";
    case "Unavailable":
      return "unavailable";
    case "InternalError":
      return "error";
    default:
      return "unauthenticated";
  }
}

/**
 * An authenticated caller, as the TokenReview named it.
 *
 * @example
 * const caller: Caller = { username: "system:serviceaccount:tools:scanner", groups: ["system:serviceaccounts"] };
 */
export interface Caller {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/**
 * The caller a TokenReview's status names, or why the token is refused.
 *
 * @example
 * callerOf({ authenticated: false }, CBOM_AUDIENCE); // { ok: false, reason: "InvalidToken", … }
 */
export function callerOf(
  status: V1TokenReviewStatus | undefined,
  audience: string,
): { ok: true; caller: Caller } | { ok: false; reason: CbomRefusal; message: string } {
  if (!status?.authenticated || !status.user?.username)
    return {
      ok: false,
      reason: "InvalidToken",
      message: "the token is not valid (expired, revoked, or not issued for this cluster)",
    };
  if (!(status.audiences ?? []).includes(audience))
    return {
      ok: false,
      reason: "WrongAudience",
      message: `the token's audience must include "${audience}"`,
    };
  const { username, uid, groups, extra } = status.user;
  return {
    ok: true,
    caller: {
      username,
      ...(uid && { uid }),
      groups: groups ?? [],
      ...(extra && { extra }),
    },
  };
}

/**
 * The SubjectAccessReview that asks whether `caller` holds {@link CBOM_PERMISSION}.
 *
 * @example
 * await authz.createSubjectAccessReview({ body: { spec: accessReviewSpec(caller) } });
 */
export function accessReviewSpec(caller: Caller): V1SubjectAccessReviewSpec {
  return {
    user: caller.username,
    groups: caller.groups,
    ...(caller.uid && { uid: caller.uid }),
    ...(caller.extra && { extra: caller.extra }),
    resourceAttributes: { ...CBOM_PERMISSION },
  };
}

/**
 * Whether a SubjectAccessReview allowed the request (and no authorizer denied it outright).
 *
 * @example
 * isAllowed({ allowed: true }); // true
 */
export function isAllowed(status: V1SubjectAccessReviewStatus | undefined): boolean {
  return status?.allowed === true && status.denied !== true;
}

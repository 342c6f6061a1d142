/**
 * Who is asking for an identity: a projected service-account token, checked by the API server itself
 * (TokenReview) for the LatticeGuard audience, and required to be bound to a pod. The pod's name and UID
 * come from the token's bound claims (`authentication.kubernetes.io/pod-name`, `pod-uid`), never from
 * anything else the client sends.
 *
 * @example
 * const caller = await reviewToken(api, token, "latticeguard.dev/identity");
 * if (caller.ok) caller.pod; // { namespace, name, uid, serviceAccount }
 */
import type { AuthenticationV1Api, V1TokenReviewStatus } from "@kubernetes/client-node";

/** Why a token was refused; each becomes a 401/403 answer and a metric label. */
export type TokenRefusal =
  | "MissingToken"
  | "MalformedToken"
  | "InvalidToken"
  | "WrongAudience"
  | "NotServiceAccount"
  | "NotBoundToPod";

/** The pod a token speaks for. */
export interface TokenPod {
  namespace: string;
  serviceAccount: string;
  name: string;
  uid: string;
}

/** The outcome of a review. */
export type TokenReviewResult =
  { ok: true; pod: TokenPod } | { ok: false; reason: TokenRefusal; message: string };

const SA_USER =
  /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;
/** A JWT: three base64url segments. Anything else is refused before it reaches the API server. */
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_BYTES = 16 * 1024;

/** The bearer token of an `Authorization` header, or a refusal. */
export function bearerToken(header: string | undefined): { token: string } | TokenReviewResult {
  if (!header)
    return {
      ok: false,
      reason: "MissingToken",
      message: "an Authorization: Bearer <token> header is required",
    };
  const match = /^Bearer ([^\s]+)$/.exec(header);
  if (!match || match[1]!.length > MAX_TOKEN_BYTES || !JWT.test(match[1]!)) {
    return {
      ok: false,
      reason: "MalformedToken",
      message: "the Authorization header must be `Bearer` followed by a service-account token",
    };
  }
  return { token: match[1]! };
}

/** Reads a TokenReview's status into the pod it speaks for. Pure. */
export function interpretReview(
  status: V1TokenReviewStatus | undefined,
  audience: string,
): TokenReviewResult {
  if (!status?.authenticated) {
    return {
      ok: false,
      reason: "InvalidToken",
      message: "the token is not valid (expired, revoked, or not issued by this cluster)",
    };
  }
  if (!(status.audiences ?? []).includes(audience)) {
    return {
      ok: false,
      reason: "WrongAudience",
      message: `the token's audience must include "${audience}"`,
    };
  }
  const user = SA_USER.exec(status.user?.username ?? "");
  if (!user)
    return {
      ok: false,
      reason: "NotServiceAccount",
      message: "the token must be a service-account token",
    };
  const extra = status.user?.extra ?? {};
  const name = extra["authentication.kubernetes.io/pod-name"]?.[0];
  const uid = extra["authentication.kubernetes.io/pod-uid"]?.[0];
  if (!name || !uid) {
    return {
      ok: false,
      reason: "NotBoundToPod",
      message: "the token must be bound to a pod (a projected service-account token)",
    };
  }
  return { ok: true, pod: { namespace: user[1]!, serviceAccount: user[3]!, name, uid } };
}

/** Asks the API server to review `token` for `audience`. */
export async function reviewToken(
  api: Pick<AuthenticationV1Api, "createTokenReview">,
  token: string,
  audience: string,
): Promise<TokenReviewResult> {
  const review = await api.createTokenReview({ body: { spec: { token, audiences: [audience] } } });
  return interpretReview(review.status, audience);
}

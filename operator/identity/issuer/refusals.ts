/**
 * Every way the issuance API says no, with its HTTP status: one reason per failed check, so a workload
 * owner reading `{ reason, message }` (or `latticeguard_identity_refusals_total{reason}`) knows which check
 * failed and what to change. Client mistakes are 4xx; a client over its rate limit is 429 `RateLimited`;
 * `NoSigner`, `Unavailable` and `Overloaded` (too many requests in flight) are 503 (try again later,
 * nothing is wrong with the request); `InternalError` is 500. `RateLimited` and `Overloaded` answers
 * carry `Retry-After`.
 *
 * @example
 * const refusal = refuse("PodNotSelected", `no MCPServer in namespace "mcp" selects pod "web-0"`);
 * res.status(REFUSAL_STATUS[refusal.reason]).json(refusal);
 */
import type { TokenRefusal } from "./token-review.ts";

/**
 * Why an identity was not issued.
 *
 * @example
 * const reason: RefusalReason = "AlgorithmNotAllowed";
 */
export type RefusalReason =
  | TokenRefusal
  | "PodGone"
  | "NamespaceNotWatched"
  | "PodNotSelected"
  | "ClientNotAllowed"
  | "AlgorithmNotAllowed"
  | "MalformedCSR"
  | "BodyTooLarge"
  | "RateLimited"
  | "Overloaded"
  | "NoSigner"
  | "Unavailable"
  | "InternalError";

/**
 * The HTTP status of each refusal.
 *
 * @example
 * REFUSAL_STATUS.WrongAudience; // 401
 */
export const REFUSAL_STATUS: Readonly<Record<RefusalReason, number>> = {
  MissingToken: 401,
  MalformedToken: 401,
  InvalidToken: 401,
  WrongAudience: 401,
  NotServiceAccount: 403,
  NotBoundToPod: 403,
  PodGone: 403,
  NamespaceNotWatched: 403,
  PodNotSelected: 403,
  ClientNotAllowed: 403,
  AlgorithmNotAllowed: 403,
  MalformedCSR: 400,
  BodyTooLarge: 413,
  RateLimited: 429,
  Overloaded: 503,
  NoSigner: 503,
  Unavailable: 503,
  InternalError: 500,
};

/**
 * A refusal as the client receives it (the JSON body of the 4xx/5xx answer).
 *
 * @example
 * const refusal: Refusal = { reason: "NoSigner", message: "no trust anchor signs identities yet" };
 */
export interface Refusal {
  reason: RefusalReason;
  message: string;
}

const MAX_MESSAGE = 300;

/**
 * A refusal whose message is one printable line of at most 300 characters (a message may quote what a
 * client sent, such as a PEM label; it goes back to that client and never into a log).
 *
 * @example
 * refuse("MalformedCSR", "the body must be a PEM CERTIFICATE REQUEST");
 */
export function refuse(reason: RefusalReason, message: string): Refusal {
  // eslint-disable-next-line no-control-regex
  const line = message.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return {
    reason,
    message: line.length <= MAX_MESSAGE ? line : `${line.slice(0, MAX_MESSAGE - 1)}…`,
  };
}

/**
 * The agent's side of the issuance API: one `POST /v1/identity` over TLS 1.3 with post-quantum key
 * exchange only, trusting exactly the anchors in the trust bundle (the issuer's certificate is signed by
 * the same anchor as workload identities). A refusal becomes an {@link IssuerRefusedError} that carries
 * the issuer's `{ reason, message }`; anything else (no connection, a timeout, an answer that is not the
 * expected JSON) a plain Error. No keep-alive: requests are minutes apart.
 *
 * @example
 * const answer = await requestIdentity({ issuer, token, csr, trust: bundlePem, signal });
 */
import { request } from "node:https";

/**
 * What the issuer answers on success.
 *
 * @example
 * const { certificate, bundle, spiffeId, notAfter }: IssuerAnswer = await requestIdentity(options);
 */
export interface IssuerAnswer {
  certificate: string;
  bundle: string;
  spiffeId: string;
  notAfter: string;
}

/**
 * The issuer refused the request (a 4xx or 5xx answer with a reason), and when it said to come back
 * (`Retry-After`, on `RateLimited` and `Overloaded`).
 *
 * @example
 * if (error instanceof IssuerRefusedError && error.reason === "PodNotSelected") …
 */
export class IssuerRefusedError extends Error {
  readonly status: number;
  readonly reason: string;
  /** Milliseconds the issuer asked the client to wait before asking again, if it said. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, reason: string, message: string, retryAfterMs?: number) {
    super(`the issuer refused with ${status} ${reason}: ${message}`);
    this.name = "IssuerRefusedError";
    this.status = status;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The longest `Retry-After` the agent honours: its own backoff's cap. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * A `Retry-After` header (seconds, or an HTTP date) in milliseconds from `now`, at most a minute;
 * undefined when absent or unreadable.
 *
 * @example
 * retryAfterMs("2", Date.now()); // 2000
 */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  // Delay-seconds, or an HTTP-date such as "Thu, 01 Jan 2026 00:00:05 GMT".
  const ms = /^\d+$/.test(value)
    ? Number(value) * 1000
    : /^[A-Z][a-z]{2}, /.test(value)
      ? Date.parse(value) - now
      : Number.NaN;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

/**
 * The TLS 1.3 groups the agent offers: hybrids only, so the token never crosses a classical exchange.
 *
 * @example
 * requestIdentity({ ...options, tlsGroups: AGENT_TLS_GROUPS });
 */
export const AGENT_TLS_GROUPS = "X25519MLKEM768:SecP256r1MLKEM768:SecP384r1MLKEM1024";

const MAX_ANSWER_BYTES = 1024 * 1024;
const TIMEOUT_MS = 30_000;

/**
 * How to ask for an identity.
 *
 * @example
 * const options: IdentityRequest = { issuer: new URL("https://127.0.0.1:8443"), token, csr, trust };
 */
export interface IdentityRequest {
  issuer: URL;
  token: string;
  csr: string;
  /** PEM anchors the issuer's certificate must chain to. */
  trust: string;
  signal?: AbortSignal;
  tlsGroups?: string;
}

const isString = (x: unknown): x is string => typeof x === "string";

function decode(status: number, text: string, retryAfter?: number): IssuerAnswer {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: reported below by status.
  }
  if (
    status === 200 &&
    [body.certificate, body.bundle, body.spiffeId, body.notAfter].every(isString)
  )
    return body as unknown as IssuerAnswer;
  if (status !== 200 && isString(body.reason) && isString(body.message))
    throw new IssuerRefusedError(status, body.reason, body.message.slice(0, 300), retryAfter);
  throw new Error(`the issuer answered ${status} without the expected JSON body`);
}

/**
 * Posts `csr` with `token`; resolves with the answer, rejects with why not.
 *
 * @example
 * const answer = await requestIdentity({ issuer, token, csr, trust });
 */
export function requestIdentity(options: IdentityRequest): Promise<IssuerAnswer> {
  const url = new URL("/v1/identity", options.issuer);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${options.token}`,
        "content-type": "application/x-pem-file",
        accept: "application/json",
      },
      ca: options.trust,
      minVersion: "TLSv1.3",
      ecdhCurve: options.tlsGroups ?? AGENT_TLS_GROUPS,
      agent: false,
      timeout: TIMEOUT_MS,
      signal: options.signal,
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error("the issuer's answer is too large"));
        else chunks.push(chunk);
      });
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        Promise.resolve()
          .then(() =>
            decode(res.statusCode ?? 0, text, retryAfterMs(res.headers["retry-after"], Date.now())),
          )
          .then(resolve, reject);
      });
    });
    req.end(options.csr);
  });
}

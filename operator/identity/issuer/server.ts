/**
 * The issuance API's HTTPS server: express, `POST /v1/identity` (bearer token + PEM CSR body), `/healthz`
 * and `/readyz`; nothing else. It decodes and encodes only: the handler decides (issuer-handle.ts), and
 * every answer, including a body the parser refused (over the limit: 413 `BodyTooLarge`; undecodable:
 * 400 `MalformedCSR`), goes through `observe` once, for metrics and logs.
 *
 * Limits (issuer-limits.ts), cheapest first: the client's rate limit before its body is read (429
 * `RateLimited`), the body limit (64 KiB), then a place among the requests in flight before the handler
 * runs (503 `Overloaded`); both refusals say when to come back in `Retry-After`. Connections are bounded
 * by the TLS listener (16 per client, short timeouts: agents do not keep connections alive).
 *
 * TLS 1.3 only, and post-quantum key exchange only by default (`X25519MLKEM768`, then the other hybrids):
 * the token travels in this exchange, so it must not be recordable today and decryptable later. The server
 * listens at once and answers TLS once its certificate source has a certificate; later certificates are
 * swapped in without a restart.
 *
 * @example
 * const server = await serveIssuer({ host: "127.0.0.1", port: 0, handle, certificates, observe, log });
 * await server.close();
 */
import type { Server } from "node:https";
import { clientKey } from "../../http/client-key.ts";
import {
  DEFAULT_CONNECTION_LIMITS,
  listenTls,
  type ConnectionLimits,
  type ConnectionRefusal,
} from "../../tls/server.ts";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "../../log.ts";
import type { PemPair } from "../../tls/certs.ts";
import type { IssuanceOutcome } from "./handle.ts";
import {
  ClientRateLimiter,
  DEFAULT_ISSUER_LIMITS,
  InFlightLimit,
  type IssuerLimits,
} from "./limits.ts";
import { REFUSAL_STATUS, refuse, type Refusal } from "./refusals.ts";

/**
 * The path a workload posts its CSR to.
 *
 * @example
 * new URL(IDENTITY_PATH, "https://latticeguard-issuer.latticeguard-system.svc:8443");
 */
export const IDENTITY_PATH = "/v1/identity";

/**
 * TLS 1.3 groups the issuer accepts, most preferred first: hybrids only.
 *
 * @example
 * tls.connect({ ecdhCurve: ISSUER_TLS_GROUPS, ... });
 */
export const ISSUER_TLS_GROUPS = "X25519MLKEM768:SecP256r1MLKEM768:SecP384r1MLKEM1024";

/**
 * Largest accepted body: an ML-DSA-87 CSR is about 10 KiB of PEM.
 *
 * @example
 * serveIssuer({ ...options, bodyLimitBytes: CSR_BODY_LIMIT_BYTES });
 */
export const CSR_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The issuer's connection limits: the listener's defaults, but at most 16 connections per client (an
 * agent opens one, minutes apart) and idle connections closed after 5 s (agents do not reuse them).
 *
 * @example
 * serveIssuer({ ...options, connectionLimits: { ...ISSUER_CONNECTION_LIMITS, maxConnections: 256 } });
 */
export const ISSUER_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  ...DEFAULT_CONNECTION_LIMITS,
  maxConnectionsPerClient: 16,
  keepAliveTimeoutMs: 5_000,
};

/**
 * Another `GET` route the server mounts beside `/v1/identity` (the operator's `/v1/cbom`): it answers
 * every request itself, limits and errors included, and must never reject.
 *
 * @example
 * const route: IssuerRoute = { path: "/v1/cbom", handle: async (req, res) => void res.json({}) };
 */
export interface IssuerRoute {
  path: string;
  handle(req: Request, res: Response): Promise<void>;
}

/**
 * How to serve.
 *
 * @example
 * const options: IssuerServerOptions = { host: "0.0.0.0", port: 8443, handle, certificates, observe, log };
 */
export interface IssuerServerOptions {
  host: string;
  port: number;
  handle: (authorization: string | undefined, body: unknown) => Promise<IssuanceOutcome>;
  certificates: {
    current(): PemPair | undefined;
    onChange(fn: (pair: PemPair) => void): () => void;
  };
  /** Called once per answered request with its outcome and duration. Must not throw. */
  observe: (outcome: IssuanceOutcome, seconds: number) => void;
  log: Logger;
  /** Whether the caches are ready; `/readyz` also waits for a certificate. */
  ready?: () => boolean;
  bodyLimitBytes?: number;
  tlsGroups?: string;
  /**
   * Requests in flight and per client. Default: {@link DEFAULT_ISSUER_LIMITS}'s `maxInFlight` and no
   * per-client rate (the operator sets one from its flags).
   */
  limits?: IssuerLimits;
  /** Default {@link ISSUER_CONNECTION_LIMITS}. */
  connectionLimits?: ConnectionLimits;
  /** Called for each connection closed as it arrived (too many); must not throw. */
  onConnectionRefused?: (reason: ConnectionRefusal) => void;
  /** The rate limiter's clock, in milliseconds; default `Date.now`. */
  now?: () => number;
  /** More `GET` routes, each answering for itself. */
  routes?: readonly IssuerRoute[];
}

/**
 * A listening issuance server.
 *
 * @example
 * `https://127.0.0.1:${server.port}${IDENTITY_PATH}`;
 */
export interface IssuerServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

function answer(res: Response, outcome: IssuanceOutcome, retryAfterMs?: number): void {
  res.set("cache-control", "no-store");
  if (retryAfterMs !== undefined)
    res.set("retry-after", String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  if (outcome.ok) res.status(200).json(outcome.answer);
  else
    res
      .status(REFUSAL_STATUS[outcome.refusal.reason])
      .json({ reason: outcome.refusal.reason, message: outcome.refusal.message });
}

/** Refuses `refusal` with `Retry-After`, and observes it. */
function refused(
  options: IssuerServerOptions,
  res: Response,
  refusal: Refusal,
  retryAfterMs: number,
): void {
  const outcome: IssuanceOutcome = { ok: false, refusal };
  answer(res, outcome, retryAfterMs);
  options.observe(outcome, seconds(res.locals.started as bigint));
}

/**
 * The per-client rate limit, as middleware that runs before the body is read, and the in-flight limit,
 * as a wrapper around the handler that holds a place while it runs.
 */
function requestLimits(options: IssuerServerOptions): {
  rate: (req: Request, res: Response, next: NextFunction) => void;
  inFlight: (
    handler: (req: Request, res: Response) => Promise<void>,
  ) => (req: Request, res: Response) => Promise<void>;
} {
  const limits = options.limits ?? { maxInFlight: DEFAULT_ISSUER_LIMITS.maxInFlight };
  const { perSecond, burst, maxClients } = limits;
  const perClient =
    perSecond === undefined
      ? undefined
      : new ClientRateLimiter(
          { perSecond, burst: burst ?? Math.max(1, Math.ceil(perSecond)), maxClients },
          options.now ?? Date.now,
        );
  const places = new InFlightLimit(limits.maxInFlight);
  return {
    rate(req, res, next) {
      const taken = perClient?.take(clientKey(req.socket.remoteAddress));
      if (!taken || taken.ok) return next();
      const message = "too many requests from this client; try again later";
      refused(options, res, refuse("RateLimited", message), taken.retryAfterMs);
    },
    inFlight: (handler) => async (req, res) => {
      const release = places.tryAcquire();
      if (!release) {
        const message = "the issuer is answering too many requests; try again shortly";
        return refused(options, res, refuse("Overloaded", message), 1000);
      }
      try {
        await handler(req, res);
      } finally {
        release();
      }
    },
  };
}

function app(options: IssuerServerOptions): express.Express {
  const limit = options.bodyLimitBytes ?? CSR_BODY_LIMIT_BYTES;
  const web = express();
  web.disable("x-powered-by");
  // Answers are never cached (no-store): an ETag would only cost a hash of every certificate sent.
  web.disable("etag");
  web.get("/healthz", (_req, res) => void res.type("text/plain").send("ok"));
  web.get("/readyz", (_req, res) => {
    const ready = (options.ready?.() ?? true) && options.certificates.current() !== undefined;
    res
      .status(ready ? 200 : 503)
      .type("text/plain")
      .send(ready ? "ok" : "not ready");
  });
  const limited = requestLimits(options);
  web.post(
    IDENTITY_PATH,
    (_req, res, next) => {
      res.locals.started = process.hrtime.bigint();
      next();
    },
    limited.rate,
    // Any content type (application/pkcs10, application/x-pem-file, text/plain): the body is PEM text.
    express.text({ type: () => true, limit, inflate: false, defaultCharset: "utf-8" }),
    limited.inFlight(async (req: Request, res: Response) => {
      const outcome = await options.handle(req.headers.authorization, req.body);
      answer(res, outcome);
      options.observe(outcome, seconds(res.locals.started as bigint));
    }),
  );
  for (const route of options.routes ?? [])
    web.get(route.path, (req, res) => route.handle(req, res));
  // Body-parser errors (too large, compressed, bad charset, aborted) and anything else thrown.
  web.use(
    (
      error: { status?: number; type?: string },
      req: Request,
      res: Response,
      _next: NextFunction,
    ) => {
      const status = error.status ?? 500;
      const refusal: Refusal =
        error.type === "entity.too.large"
          ? refuse("BodyTooLarge", `the body must be a PEM CSR of at most ${limit} bytes`)
          : status >= 400 && status < 500
            ? refuse("MalformedCSR", "the body must be an uncompressed PEM CSR in UTF-8")
            : refuse("InternalError", "the issuer failed; try again");
      const outcome: IssuanceOutcome = { ok: false, refusal, cause: error };
      if (res.headersSent) return;
      answer(res, outcome);
      if (req.path === IDENTITY_PATH && typeof res.locals.started === "bigint")
        options.observe(outcome, seconds(res.locals.started));
    },
  );
  return web;
}

/**
 * Starts the server on `host:port` (port 0 picks a free one); resolves once it listens.
 *
 * @example
 * const { port } = await serveIssuer(options);
 */
export function serveIssuer(options: IssuerServerOptions): Promise<IssuerServer> {
  return listenTls(app(options), {
    host: options.host,
    port: options.port,
    groups: options.tlsGroups ?? ISSUER_TLS_GROUPS,
    certificates: options.certificates,
    log: options.log,
    name: "Issuance",
    limits: options.connectionLimits ?? ISSUER_CONNECTION_LIMITS,
    onRefused: options.onConnectionRefused,
  });
}

/**
 * The webhook's HTTPS server: express, a JSON body limit, `/healthz` and `/readyz`, and two admission
 * paths, `/validate` and `/mutate`; nothing else. Requests are decoded and answered by the codec and the
 * handler of their path (admit.ts, mutate.ts); a handler that rejects denies the request. A body
 * that is not an AdmissionReview v1 request (unparsable, truncated, compressed, another kind) is answered
 * 400 with a Status, a body over the limit 413, and the server carries on.
 *
 * The body limit is 3 MiB, as Kubernetes' own PodSecurity webhook has it: the API server accepts no
 * request body over 3 MiB and etcd stores no object over 1.5 MiB, so a review (one object, or the new
 * and old object of an UPDATE) stays under it; a larger body is not from the API server. Bodies over
 * 256 KiB, rare from the API server, also share a 32 MiB budget (body-budget.ts; 503 with `Retry-After`
 * when it is spent). Connections are bounded by the TLS listener (tls-server.ts): at most 512 at once,
 * each with short handshake, header and request timeouts. So request bodies never hold more than about
 * 160 MiB (512 × 256 KiB + 32 MiB), however many clients send whatever they like. There is no limit per
 * client: the one legitimate client, the API server, opens a connection per admission call in flight.
 * Only the API server needs to reach this port; a NetworkPolicy should say so.
 *
 * TLS is 1.3 only (the API server speaks it) and the key exchange prefers the post-quantum hybrid
 * groups: `X25519MLKEM768:SecP256r1MLKEM768/X25519:P-256:P-384` is OpenSSL 3.5 syntax for "a hybrid if the
 * client offers one, even at the cost of a HelloRetryRequest; else a classical group", so a Go client
 * (the API server) that supports X25519MLKEM768 negotiates it. The server listens at once and answers TLS
 * once its {@link CertificateSource} has a certificate; later certificates are swapped in without a
 * restart.
 *
 * Keep-alive connections stay open longer (100 s) than the API server's idle timeout (90 s), so the
 * API server never reuses a connection the webhook is closing (a POST it would not retry).
 *
 * @example
 * const server = await serveWebhook({ host: "0.0.0.0", port: 9443, handle, mutate, certificates, log });
 * await server.close();
 */
import type { Server } from "node:https";
import {
  DEFAULT_CONNECTION_LIMITS,
  listenTls,
  type ConnectionLimits,
} from "../operator/tls/server.ts";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "../operator/log.ts";
import type { Metrics } from "../operator/metrics.ts";
import { BodyBudget, DEFAULT_BODY_BUDGET, type BodyBudgetSizes } from "./body-budget.ts";
import { decodeReview, encodeReview, internalErrorResponse } from "./codec.ts";
import type { CertificateSource } from "../operator/tls/source.ts";
import type { AdmissionRequest, AdmissionResponse } from "./types.ts";

/**
 * The path every webhook in the configuration calls.
 *
 * @example
 * `https://127.0.0.1:${port}${WEBHOOK_PATH}`; // "https://127.0.0.1:9443/validate"
 */
export const WEBHOOK_PATH = "/validate";

/**
 * The path the mutating webhook (proxy injection) calls.
 *
 * @example
 * `https://127.0.0.1:${port}${MUTATE_PATH}`; // "https://127.0.0.1:9443/mutate"
 */
export const MUTATE_PATH = "/mutate";

/**
 * TLS 1.3 key-exchange groups, most preferred first (see the module notes).
 *
 * @example
 * tls.createSecureContext({ ecdhCurve: DEFAULT_TLS_GROUPS, minVersion: "TLSv1.3" });
 */
export const DEFAULT_TLS_GROUPS = "X25519MLKEM768:SecP256r1MLKEM768/X25519:P-256:P-384";

/**
 * Largest accepted body: 3 MiB (see the module notes).
 *
 * @example
 * serveWebhook({ ...options, bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES });
 */
export const DEFAULT_BODY_LIMIT_BYTES = 3 * 1024 * 1024;

/**
 * The webhook's connection limits: the listener's defaults (keep-alive longer than the API server's idle
 * timeout), at most 512 connections, none per client.
 *
 * @example
 * serveWebhook({ ...options, connectionLimits: { ...WEBHOOK_CONNECTION_LIMITS, maxConnections: 1024 } });
 */
export const WEBHOOK_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  ...DEFAULT_CONNECTION_LIMITS,
  maxConnections: 512,
};

/**
 * How to serve.
 *
 * @example
 * const options: WebhookServerOptions = { host: "127.0.0.1", port: 0, handle, certificates, log };
 */
export interface WebhookServerOptions {
  host: string;
  port: number;
  /** Answers `/validate`. */
  handle: (request: AdmissionRequest) => Promise<AdmissionResponse>;
  /** Answers `/mutate`; absent, the path is not served (404). */
  mutate?: (request: AdmissionRequest) => Promise<AdmissionResponse>;
  certificates: CertificateSource;
  log: Logger;
  /** Whether the caches behind `handle` are ready; `/readyz` also waits for a certificate. */
  ready?: () => boolean;
  bodyLimitBytes?: number;
  tlsGroups?: string;
  metrics?: Pick<Metrics, "admissionReviews">;
  /** Default {@link WEBHOOK_CONNECTION_LIMITS}. */
  connectionLimits?: ConnectionLimits;
  /** Default {@link DEFAULT_BODY_BUDGET}. */
  bodyBudget?: BodyBudgetSizes;
}

/**
 * A listening webhook server.
 *
 * @example
 * `https://127.0.0.1:${server.port}${WEBHOOK_PATH}`;
 */
export interface WebhookServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

const status = (code: number, message: string) => ({
  apiVersion: "v1",
  kind: "Status",
  status: "Failure",
  code,
  message,
});

/** Counts a request that never reached a handler: undecodable, too large, or refused for now. */
function countRefused(
  options: WebhookServerOptions,
  path: string,
  decision: "bad_request" | "too_large" | "overloaded",
): void {
  const webhook = path === MUTATE_PATH ? "mutate" : "validate";
  const labels = { webhook, resource: "unknown", decision, mode: "none", transport: "none" };
  options.metrics?.admissionReviews.inc(labels);
}

/** Middleware that holds a body's room in the large-body budget until its answer is sent, or refuses. */
function budgeted(options: WebhookServerOptions, limit: number) {
  const budget = new BodyBudget(options.bodyBudget ?? DEFAULT_BODY_BUDGET);
  return (req: Request, res: Response, next: NextFunction) => {
    const declared = Number(req.headers["content-length"] ?? Number.NaN);
    // Without a length the body may grow to the limit; over it, the parser discards it and answers 413.
    const size = Number.isFinite(declared) ? declared : limit;
    const release = size > limit ? () => undefined : budget.reserve(size);
    if (release) {
      res.once("close", release);
      return next();
    }
    countRefused(options, req.path, "overloaded");
    res.status(503).set("retry-after", "1").json(status(503, "too many large reviews at once"));
  };
}

/** Body-parser errors and anything else thrown, as a Status: never the process. */
function failed(options: WebhookServerOptions, limit: number) {
  return (
    error: { status?: number; type?: string; message?: string },
    req: Request,
    res: Response,
    _next: NextFunction,
  ) => {
    const fromClient = error.status !== undefined && error.status >= 400 && error.status < 500;
    const [code, message] =
      error.type === "entity.too.large"
        ? [413, `the body is larger than ${limit} bytes`]
        : fromClient
          ? [400, `the body is not valid JSON (${error.type ?? "invalid"})`]
          : [500, "internal error"];
    if (code === 500) options.log.error({ err: error }, "Failed to handle a webhook request");
    else countRefused(options, req.path, code === 413 ? "too_large" : "bad_request");
    if (!res.headersSent) res.status(code).json(status(code, message));
  };
}

function app(options: WebhookServerOptions): express.Express {
  const { log } = options;
  const web = express();
  web.disable("x-powered-by");
  // Every review is answered once and never cached: an ETag would only cost a hash of each response.
  web.disable("etag");
  web.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  web.get("/readyz", (_req, res) => {
    const ready = (options.ready?.() ?? true) && options.certificates.current() !== undefined;
    res
      .status(ready ? 200 : 503)
      .type("text/plain")
      .send(ready ? "ok" : "not ready");
  });
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  // The API server never compresses a review: a compressed body is refused, never inflated.
  const json = express.json({ limit, inflate: false });
  const review =
    (handle: (request: AdmissionRequest) => Promise<AdmissionResponse>, what: string) =>
    async (req: Request, res: Response) => {
      const decoded = decodeReview(req.body);
      if (!decoded.ok) {
        countRefused(options, req.path, "bad_request");
        log.debug({ problem: decoded.problem }, "Refused an undecodable admission review");
        res.status(400).json(status(400, decoded.problem));
        return;
      }
      const { uid } = decoded.request;
      const response = await handle(decoded.request).catch((error: unknown) =>
        internalErrorResponse(uid, String(error), what),
      );
      res.json(encodeReview(response));
    };
  const budget = budgeted(options, limit);
  web.post(WEBHOOK_PATH, budget, json, review(options.handle, "validate the request"));
  if (options.mutate)
    web.post(MUTATE_PATH, budget, json, review(options.mutate, "decide on the request's mutation"));
  // Body-parser errors (malformed, truncated, compressed or oversized JSON): 413 for a body over the
  // limit, 400 for anything else the client sent, 500 otherwise.
  web.use(failed(options, limit));
  return web;
}

/**
 * Starts the server on `host:port` (port 0 picks a free one); resolves once it listens.
 *
 * @example
 * const { port } = await serveWebhook(options);
 */
export function serveWebhook(options: WebhookServerOptions): Promise<WebhookServer> {
  return listenTls(app(options), {
    host: options.host,
    port: options.port,
    groups: options.tlsGroups ?? DEFAULT_TLS_GROUPS,
    certificates: options.certificates,
    log: options.log,
    name: "Webhook",
    limits: options.connectionLimits ?? WEBHOOK_CONNECTION_LIMITS,
  });
}

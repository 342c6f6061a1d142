/**
 * The webhook's HTTPS server: express, a JSON body limit, `/healthz` and `/readyz`, and one admission
 * path; nothing else. Requests are decoded and answered by the codec and the admission handler. A body
 * that is not an AdmissionReview v1 request (unparsable, truncated, over the limit, another kind) is
 * answered 400 with a Status, and the server carries on.
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
 * const server = await serveWebhook({ host: "0.0.0.0", port: 9443, handle, certificates, log });
 * await server.close();
 */
import type { Server } from "node:https";
import { listenTls } from "../operator/http/tls-server.ts";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "../operator/log.ts";
import type { Metrics } from "../operator/metrics.ts";
import { decodeReview, encodeReview, internalErrorResponse } from "./codec.ts";
import type { CertificateSource } from "./tls/source.ts";
import type { AdmissionRequest, AdmissionResponse } from "./types.ts";

/**
 * The path every webhook in the configuration calls.
 *
 * @example
 * `https://127.0.0.1:${port}${WEBHOOK_PATH}`; // "https://127.0.0.1:9443/validate"
 */
export const WEBHOOK_PATH = "/validate";

/**
 * TLS 1.3 key-exchange groups, most preferred first (see the module notes).
 *
 * @example
 * tls.createSecureContext({ ecdhCurve: DEFAULT_TLS_GROUPS, minVersion: "TLSv1.3" });
 */
export const DEFAULT_TLS_GROUPS = "X25519MLKEM768:SecP256r1MLKEM768/X25519:P-256:P-384";

/**
 * Largest accepted body: an UPDATE review carries two objects of up to ~1.5 MB each.
 *
 * @example
 * serveWebhook({ ...options, bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES });
 */
export const DEFAULT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * How to serve.
 *
 * @example
 * const options: WebhookServerOptions = { host: "127.0.0.1", port: 0, handle, certificates, log };
 */
export interface WebhookServerOptions {
  host: string;
  port: number;
  handle: (request: AdmissionRequest) => Promise<AdmissionResponse>;
  certificates: CertificateSource;
  log: Logger;
  /** Whether the caches behind `handle` are ready; `/readyz` also waits for a certificate. */
  ready?: () => boolean;
  bodyLimitBytes?: number;
  tlsGroups?: string;
  metrics?: Pick<Metrics, "admissionReviews">;
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

function app(options: WebhookServerOptions): express.Express {
  const { log } = options;
  const web = express();
  web.disable("x-powered-by");
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
  web.post(WEBHOOK_PATH, express.json({ limit }), async (req: Request, res: Response) => {
    const decoded = decodeReview(req.body);
    if (!decoded.ok) {
      options.metrics?.admissionReviews.inc({
        resource: "unknown",
        decision: "bad_request",
        mode: "none",
      });
      log.debug({ problem: decoded.problem }, "Refused an undecodable admission review");
      res.status(400).json(status(400, decoded.problem));
      return;
    }
    const { uid } = decoded.request;
    const response = await options
      .handle(decoded.request)
      .catch((error: unknown) => internalErrorResponse(uid, String(error)));
    res.json(encodeReview(response));
  });
  // Body-parser errors (malformed, truncated or oversized JSON) and anything else thrown: a 400 for
  // what the client sent, a 500 otherwise; never the process.
  web.use(
    (
      error: { status?: number; type?: string; message?: string },
      _req: Request,
      res: Response,
      _next: NextFunction,
    ) => {
      const code = error.status && error.status >= 400 && error.status < 500 ? 400 : 500;
      const message =
        error.type === "entity.too.large"
          ? `the body is larger than ${limit} bytes`
          : code === 400
            ? `the body is not valid JSON (${error.type ?? "invalid"})`
            : "internal error";
      if (code === 400)
        options.metrics?.admissionReviews.inc({
          resource: "unknown",
          decision: "bad_request",
          mode: "none",
        });
      else log.error({ err: error }, "Failed to handle a webhook request");
      if (!res.headersSent) res.status(code).json(status(code, message));
    },
  );
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
  });
}

/**
 * The operator's plain-HTTP endpoints: `/metrics` (Prometheus), `/healthz` (the process is alive) and
 * `/readyz` (every informer has synced, so webhooks and the issuance API answer from a full cache).
 * Nothing else is served here; TLS endpoints have servers of their own.
 *
 * @example
 * const server = await serveOperatorHttp({ host: "0.0.0.0", port: 8080 }, { metrics, ready: () => true });
 * await server.close();
 */
import type { AddressInfo } from "node:net";
import express from "express";
import type { Registry } from "prom-client";

/** What the endpoints report on. */
export interface OperatorHttpDeps {
  metrics: { registry: Registry };
  /** Whether the operator is ready to serve; `/readyz` answers 503 until it is. */
  ready: () => boolean;
  /** Called before each scrape, to refresh gauges that are read rather than counted. */
  beforeScrape?: () => void;
}

/** A listening server. */
export interface OperatorHttp {
  port: number;
  close(): Promise<void>;
}

/** Starts the endpoints on `address` (port 0 picks a free one). */
export function serveOperatorHttp(
  address: { host: string; port: number },
  deps: OperatorHttpDeps,
): Promise<OperatorHttp> {
  const app = express();
  app.disable("x-powered-by");
  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  app.get("/readyz", (_req, res) => {
    const ready = deps.ready();
    res
      .status(ready ? 200 : 503)
      .type("text/plain")
      .send(ready ? "ok" : "informers not synced");
  });
  app.get("/metrics", async (_req, res) => {
    deps.beforeScrape?.();
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(address.port, address.host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
    server.once("error", reject);
  });
}

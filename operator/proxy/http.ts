/**
 * The proxy's plain-HTTP endpoints on `--metrics-address`: `/metrics` (Prometheus), `/healthz` (the
 * process is alive) and `/readyz` (an identity is loaded and the proxy listens, so traffic can flow).
 * Nothing else is served here; node:http alone, so the proxy loads no web framework.
 *
 * @example
 * const http = await serveProxyHttp({ host: "0.0.0.0", port: 15090 }, { registry, ready: () => true, log });
 * await http.close();
 */
import { createServer } from "node:http";
import type { Registry } from "prom-client";
import type { Logger } from "../log.ts";
import type { HostPort } from "./address.ts";
import { listen } from "./listen.ts";

/**
 * A listening endpoint server.
 *
 * @example
 * fetch(`http://127.0.0.1:${http.port}/readyz`);
 */
export interface ProxyHttp {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the endpoints on `address` (port 0 picks a free one).
 *
 * @example
 * await serveProxyHttp({ host: "127.0.0.1", port: 0 }, { registry, ready, log });
 */
export async function serveProxyHttp(
  address: HostPort,
  deps: { registry: Registry; ready: () => boolean; log: Logger },
): Promise<ProxyHttp> {
  const server = createServer((req, res) => {
    const text = (status: number, body: string): void => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(body);
    };
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return text(405, "method not allowed\n");
    switch (path) {
      case "/healthz":
        return text(200, "ok\n");
      case "/readyz":
        return deps.ready()
          ? text(200, "ok\n")
          : text(503, "no identity loaded or not listening\n");
      case "/metrics":
        return void deps.registry.metrics().then(
          (body) => res.writeHead(200, { "content-type": deps.registry.contentType }).end(body),
          (error: unknown) => {
            deps.log.error({ err: error }, "Failed to collect metrics");
            text(500, "metrics failed\n");
          },
        );
      default:
        return text(404, "not found\n");
    }
  });
  server.requestTimeout = 10_000;
  const port = await listen(server, address, deps.log, "Metrics server");
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

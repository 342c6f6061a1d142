/**
 * Test helpers for the proxy's socket tests: identities made from the crypto test data the way the
 * keeper publishes them, a plaintext upstream on loopback, an mTLS client that reports what it
 * negotiated, and reading a metric.
 *
 * @example
 * const identities = feedOf(await testWorkload(anchor, { serviceAccount: "search" }), anchor);
 * const answer = await mtlsRequest(port, { identity: client, ca: anchor.certificate });
 */
import { once } from "node:events";
import { createServer, type RequestListener, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { pino } from "pino";
import type { Registry } from "prom-client";
import type { TestAnchor, TestWorkload } from "../crypto/testdata/identities.ts";
import { IdentityFeed, type ProxyIdentity } from "./identity.ts";

/**
 * A logger that writes nothing.
 *
 * @example
 * startInbound({ ...options, log: silent });
 */
export const silent = pino({ level: "silent" });

/**
 * A workload as the proxy holds it.
 *
 * @example
 * feed.publish(identityOf(workload, anchor));
 */
export function identityOf(workload: TestWorkload, ...anchors: TestAnchor[]): ProxyIdentity {
  return {
    certificate: workload.certificate,
    keyPem: workload.keyPem,
    bundle: anchors.map((a) => a.certificate).join(""),
    spiffeId: workload.spiffeId,
    trustDomain: anchors[0]!.trustDomain,
    notAfter: new Date(Date.now() + 3_600_000),
  };
}

/**
 * A feed that already holds `workload`'s identity.
 *
 * @example
 * const identities = feedOf(server, anchor);
 */
export function feedOf(workload: TestWorkload, ...anchors: TestAnchor[]): IdentityFeed {
  const feed = new IdentityFeed();
  feed.publish(identityOf(workload, ...anchors));
  return feed;
}

/**
 * A plaintext HTTP server on 127.0.0.1 (the MCP server behind an inbound proxy).
 *
 * @example
 * const upstream = await plainServer((req, res) => res.end("ok"));
 */
export async function plainServer(app: RequestListener): Promise<{ server: Server; port: number }> {
  const server = createServer(app);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * What an mTLS request saw: the answer, or the error that ended it.
 *
 * @example
 * expect(answer.status).toBe(403);
 */
export interface MtlsAnswer {
  status?: number;
  body: string;
  json?: Record<string, unknown>;
  group?: string;
  error?: string;
}

/**
 * One request over mutual TLS to 127.0.0.1:`port` (no connection reuse), as `identity` (none: no client
 * certificate), offering `groups`.
 *
 * @example
 * await mtlsRequest(port, { identity: client, ca: anchor.certificate, groups: "X25519" });
 */
export function mtlsRequest(
  port: number,
  options: {
    identity?: Pick<TestWorkload, "certificate" | "keyPem">;
    ca: string;
    groups?: string;
    path?: string;
    headers?: Record<string, string>;
  },
): Promise<MtlsAnswer> {
  return new Promise((resolve) => {
    const answer: MtlsAnswer = { body: "" };
    const req = httpsRequest({
      host: "127.0.0.1",
      port,
      path: options.path ?? "/",
      headers: options.headers,
      ca: options.ca,
      servername: "search.mcp.svc",
      checkServerIdentity: () => undefined,
      ...(options.identity && { cert: options.identity.certificate, key: options.identity.keyPem }),
      ecdhCurve: options.groups ?? "X25519MLKEM768",
      agent: false,
    });
    req.on("socket", (socket: TLSSocket) =>
      socket.once("secureConnect", () => {
        answer.group = (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name;
      }),
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      answer.error = error.code ?? error.message;
      resolve(answer);
    });
    req.on("response", (res) => {
      answer.status = res.statusCode;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (answer.body += chunk));
      res.on("end", () => {
        try {
          answer.json = JSON.parse(answer.body) as Record<string, unknown>;
        } catch {
          // not JSON
        }
        resolve(answer);
      });
    });
    req.end();
  });
}

/**
 * The value of a metric in `registry`, summed over the series whose labels include `labels`; for a
 * histogram, its `_count` series.
 *
 * @example
 * await metricValue(metrics.registry, "latticeguard_proxy_refused_total", { reason: "NoCertificate" });
 */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const histogram = String(metric?.type) === "histogram";
  return (metric?.values ?? [])
    .filter((v) => !histogram || (v as { metricName?: string }).metricName === `${name}_count`)
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((total, v) => total + v.value, 0);
}

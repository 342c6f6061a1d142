/**
 * The outbound proxy: a plaintext HTTP port on loopback for an MCP client, each request forwarded over
 * mutual TLS to one MCPServer through a keep-alive connection pool.
 *
 * Every connection is TLS 1.3 with only the configured post-quantum groups, presents the pod's identity
 * (a client identity: the issuer gives one to pods whose `latticeguard.dev/connect` names the MCPServer),
 * verifies the server against the trust bundle, and then checks what the certificate says
 * (authorize.ts): the DNS name dialled (`--server-name`) and a SPIFFE ID of our trust domain in the
 * MCPServer's namespace. A server that fails is answered `502` with `{ reason, message }` and counted.
 * The negotiated group is read on each new connection (`getEphemeralKeyInfo`, which only the client
 * side of node:tls reports) into `handshake_duration_seconds{group}` and the log.
 *
 * A new identity swaps in a new pool for new requests; the old pool keeps the connections that carry
 * requests in flight (an SSE stream outlives the certificate it started on) and closes each as it goes
 * idle, never reusing it.
 *
 * @example
 * const outbound = await startOutbound({ listen, upstream, serverName, groups, server, identities, metrics, log });
 * // MCP client: new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${outbound.port}/mcp`))
 */
import { createServer, type ClientRequestArgs } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { KeyExchangeGroup } from "../api/algorithms.ts";
import type { Logger } from "../log.ts";
import type { HostPort } from "./address.ts";
import { checkServer, spiffeIdOf, upstreamRefusal } from "./authorize.ts";
import { forward, forwardHeaders } from "./forward.ts";
import { drain, listen } from "./listen.ts";
import type { ServerRef } from "./flags.ts";
import type { IdentityFeed, ProxyIdentity } from "./identity.ts";
import { negotiatedGroup } from "../tls/negotiated.ts";
import { certificateAlgorithm, type ProxyMetrics } from "./metrics.ts";

/**
 * What the outbound proxy runs with.
 *
 * @example
 * const options: OutboundOptions = { listen, upstream, serverName, groups, server, identities, metrics, log };
 */
export interface OutboundOptions {
  listen: HostPort;
  upstream: HostPort;
  serverName: string;
  groups: readonly KeyExchangeGroup[];
  server: ServerRef;
  /** Must hold an identity already. */
  identities: IdentityFeed;
  metrics: ProxyMetrics;
  log: Logger;
  /** How long a new connection may take to finish its TLS handshake; default 10 s. */
  connectTimeoutMs?: number;
}

/**
 * A listening outbound proxy.
 *
 * @example
 * `http://127.0.0.1:${outbound.port}/mcp`;
 */
export interface RunningOutbound {
  port: number;
  /** Stops accepting, lets open requests finish for up to `graceMs`, then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

/** A connection pool for one identity; once retired it lends no connection again. */
class Pool extends HttpsAgent {
  private retired = false;
  private readonly onConnection: (socket: TLSSocket) => void;
  constructor(
    options: ConstructorParameters<typeof HttpsAgent>[0],
    onConnection: (socket: TLSSocket) => void,
  ) {
    super(options);
    this.onConnection = onConnection;
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const socket = super.createConnection(options, callback) as TLSSocket | null | undefined;
    if (socket) this.onConnection(socket);
    return socket;
  }

  override keepSocketAlive(socket: Duplex): boolean {
    return !this.retired && (super.keepSocketAlive(socket) as unknown as boolean);
  }

  /** Closes idle connections now, and busy ones once their request ends. */
  retire(): void {
    this.retired = true;
    for (const sockets of Object.values(this.freeSockets))
      for (const s of sockets ?? []) s.destroy();
  }
}

/**
 * Starts the outbound proxy; resolves once it listens.
 *
 * @example
 * const outbound = await startOutbound(options);
 */
export async function startOutbound(options: OutboundOptions): Promise<RunningOutbound> {
  const { metrics, log, identities, upstream, serverName } = options;
  if (!identities.current()) throw new Error("the outbound proxy needs an identity to start with");
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;

  const instrument = (socket: TLSSocket) => {
    const start = performance.now();
    const onTimeout = () =>
      socket.destroy(new Error(`no TLS connection within ${connectTimeoutMs / 1000} s`));
    socket.setTimeout(connectTimeoutMs);
    socket.once("timeout", onTimeout);
    socket.once("secureConnect", () => {
      socket.setTimeout(0);
      socket.off("timeout", onTimeout);
      const group = negotiatedGroup(socket);
      const x509 = socket.getPeerX509Certificate();
      const algorithm = certificateAlgorithm(x509?.publicKey.asymmetricKeyType);
      metrics.handshakes.observe(
        { group, certificate_algorithm: algorithm },
        (performance.now() - start) / 1000,
      );
      log.info(
        {
          group,
          certificateAlgorithm: algorithm,
          spiffeId: spiffeIdOf(x509?.subjectAltName),
          fingerprint256: x509?.fingerprint256,
        },
        "Connected to MCP server",
      );
    });
  };
  const poolFor = (identity: ProxyIdentity) =>
    new Pool(
      {
        keepAlive: true,
        cert: identity.certificate,
        key: identity.keyPem,
        ca: identity.bundle,
        minVersion: "TLSv1.3",
        ecdhCurve: options.groups.join(":"),
        servername: serverName,
        checkServerIdentity: (_host, certificate) =>
          checkServer(certificate, {
            serverName,
            trustDomain: identity.trustDomain,
            namespace: options.server.namespace,
          }),
      },
      instrument,
    );
  let pool = poolFor(identities.current()!);
  const unsubscribe = identities.onChange((next) => {
    const old = pool;
    pool = poolFor(next);
    old.retire();
    log.info({ spiffeId: next.spiffeId, notAfter: next.notAfter }, "Reloaded client identity");
  });

  const host = upstream.port === 443 ? serverName : `${serverName}:${upstream.port}`;
  const server = createServer((req, res) => {
    const agent = pool;
    forward(req, res, {
      request: (o) =>
        httpsRequest({
          ...o,
          host: upstream.host,
          port: upstream.port,
          servername: serverName,
          agent,
        }),
      headers: forwardHeaders(req.headers, { set: { host } }),
      onResponse: (status) => metrics.requests.inc({ code: String(status) }),
      onBytes: (direction, bytes) =>
        metrics.bytes.inc({ flow: direction === "request" ? "sent" : "received" }, bytes),
      refusalFor: upstreamRefusal,
      onError: (error, answered) => {
        if (answered && answered.reason !== "UpstreamUnavailable")
          metrics.refused.inc({ reason: answered.reason });
        const level = answered ? "warn" : "debug";
        log[level]({ err: error, reason: answered?.reason }, "Failed to forward request");
      },
    });
  });
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 100_000;

  const port = await listen(server, options.listen, log, "Outbound proxy");
  return {
    port,
    async close(graceMs = 5000) {
      unsubscribe();
      await drain(server, graceMs);
      pool.destroy();
    },
  };
}

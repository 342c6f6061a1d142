/**
 * The inbound proxy: mutual TLS on the MCP port in front of an MCP server that listens on loopback only.
 *
 * TLS 1.3 only, only the configured post-quantum groups (a client offering none gets OpenSSL's
 * handshake_failure alert), the pod's ML-DSA identity as the server certificate, and a client certificate
 * requested and verified against the trust bundle. The verdict on the client (authorize.ts) is taken once
 * per connection and answered over HTTP: an authorized caller's requests are forwarded to the upstream on
 * loopback (forward.ts: streaming both ways, no request timeout), a refused one gets `401`/`403` with
 * `{ reason, message }` and the connection is closed. The upstream learns who called from
 * `x-forwarded-client-cert` (`By=<our SPIFFE ID>;Hash=<SHA-256 of the client certificate>;URI=<its SPIFFE
 * ID>`, as Envoy writes it); a value sent by the client is dropped, never forwarded.
 *
 * A new identity (renewal, a new anchor in the bundle) is swapped in with `setSecureContext`: new
 * handshakes use it, open connections keep theirs, so a stream outlives the certificate it started on.
 *
 * @example
 * const inbound = await startInbound({ listen, upstream, groups, rules, server, identities, metrics, log });
 * await inbound.close(5000);
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer } from "node:https";
import type { Socket } from "node:net";
import type { SecureContextOptions, TLSSocket } from "node:tls";
import type { KeyExchangeGroup } from "../api/algorithms.ts";
import type { Logger } from "../log.ts";
import type { ClientRule } from "../policy/clients.ts";
import type { HostPort } from "./address.ts";
import { authorizePeer, handshakeRefusal, type PeerRefusal } from "./authorize.ts";
import { answerRefusal, forward, forwardHeaders } from "./forward.ts";
import { drain, listen } from "./listen.ts";
import type { ServerRef } from "./flags.ts";
import type { IdentityFeed, ProxyIdentity } from "./identity.ts";
import { certificateAlgorithm, type ProxyMetrics } from "./metrics.ts";

/**
 * The header that tells the upstream who called.
 *
 * @example
 * req.headers[XFCC_HEADER]; // "By=spiffe://…/sa/search;Hash=ab12…;URI=spiffe://…/sa/planner"
 */
export const XFCC_HEADER = "x-forwarded-client-cert";

/**
 * What the inbound proxy runs with.
 *
 * @example
 * const options: InboundOptions = { listen, upstream, groups, rules, server, identities, metrics, log };
 */
export interface InboundOptions {
  listen: HostPort;
  upstream: HostPort;
  groups: readonly KeyExchangeGroup[];
  rules: readonly ClientRule[];
  server: ServerRef;
  /** Must hold an identity already. */
  identities: IdentityFeed;
  metrics: ProxyMetrics;
  log: Logger;
  /** Default 10 s. */
  handshakeTimeoutMs?: number;
}

/**
 * A listening inbound proxy.
 *
 * @example
 * `https://127.0.0.1:${inbound.port}/mcp`;
 */
export interface RunningInbound {
  port: number;
  /** Stops accepting, lets open requests finish for up to `graceMs`, then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The TLS options of the server for `identity`, as `setSecureContext` takes them.
 *
 * @example
 * server.setSecureContext(serverContext(identity, ["X25519MLKEM768"]));
 */
export function serverContext(
  identity: ProxyIdentity,
  groups: readonly KeyExchangeGroup[],
): SecureContextOptions {
  return {
    cert: identity.certificate,
    key: identity.keyPem,
    ca: identity.bundle,
    minVersion: "TLSv1.3",
    ecdhCurve: groups.join(":"),
  };
}

type Verdict =
  ({ spiffeId: string; xfcc: string } & { refusal?: undefined }) | { refusal: PeerRefusal };

const peerKey = (socket: Socket) => `${socket.remoteAddress}|${socket.remotePort}`;

/**
 * Starts the inbound proxy; resolves once it listens.
 *
 * @example
 * const inbound = await startInbound(options);
 */
export async function startInbound(options: InboundOptions): Promise<RunningInbound> {
  const { metrics, log, identities, server: mcpserver } = options;
  const identity = identities.current();
  if (!identity) throw new Error("the inbound proxy needs an identity to start with");
  const group = options.groups.length === 1 ? options.groups[0]! : "unknown";
  const verdicts = new WeakMap<TLSSocket, Verdict>();
  const started = new Map<string, number>();
  const upstreamAgent = new HttpAgent({ keepAlive: true });

  const verdictOf = (socket: TLSSocket): Verdict => {
    let verdict = verdicts.get(socket);
    if (verdict) return verdict;
    const x509 = socket.getPeerX509Certificate();
    const current = identities.current()!;
    const peer = authorizePeer(
      {
        authorized: socket.authorized,
        authorizationError: socket.authorizationError?.toString(),
        certificate: x509 !== undefined,
        subjectAltName: x509?.subjectAltName,
      },
      { rules: options.rules, trustDomain: current.trustDomain, server: mcpserver },
    );
    if ("reason" in peer) verdict = { refusal: peer };
    else {
      const hash = x509!.fingerprint256.replaceAll(":", "").toLowerCase();
      verdict = {
        spiffeId: peer.spiffeId,
        xfcc: `By=${current.spiffeId};Hash=${hash};URI=${peer.spiffeId}`,
      };
    }
    verdicts.set(socket, verdict);
    return verdict;
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as TLSSocket;
    const verdict = verdictOf(socket);
    if (verdict.refusal) {
      const { reason, status, message } = verdict.refusal;
      metrics.refused.inc({ reason });
      metrics.requests.inc({ code: String(status) });
      // The message names the caller's SPIFFE ID and the check it failed; never key material.
      log.info({ reason, message, remoteAddress: socket.remoteAddress }, "Refused client");
      answerRefusal(res, verdict.refusal);
      return;
    }
    forward(req, res, {
      request: (o) =>
        httpRequest({
          ...o,
          host: options.upstream.host,
          port: options.upstream.port,
          agent: upstreamAgent,
        }),
      headers: forwardHeaders(req.headers, { set: { [XFCC_HEADER]: verdict.xfcc } }),
      onResponse: (status) => metrics.requests.inc({ code: String(status) }),
      onBytes: (direction, bytes) =>
        metrics.bytes.inc({ flow: direction === "request" ? "received" : "sent" }, bytes),
      onError: (error, answered) =>
        log.debug(
          { err: error, status: answered?.status, peer: verdict.spiffeId },
          "Failed to forward request",
        ),
    });
  };

  const server = createServer(
    {
      ...serverContext(identity, options.groups),
      requestCert: true,
      // Verified by OpenSSL, refused by us over HTTP with a reason (authorize.ts).
      rejectUnauthorized: false,
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
    },
    onRequest,
  );
  // Proxied requests have no deadline (an MCP stream lives as long as its session); headers still do.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 100_000;
  server.maxConnections = 4096;

  server.on("connection", (socket: Socket) => {
    const key = peerKey(socket);
    started.set(key, performance.now());
    socket.once("close", () => started.delete(key));
  });
  server.on("secureConnection", (socket: TLSSocket) => {
    const start = started.get(peerKey(socket));
    const algorithm = certificateAlgorithm(
      socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType,
    );
    if (start !== undefined)
      metrics.handshakes.observe(
        { group, certificate_algorithm: algorithm },
        (performance.now() - start) / 1000,
      );
  });
  server.on("tlsClientError", (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    const reason = handshakeRefusal(error.code);
    metrics.refused.inc({ reason });
    log.debug(
      { reason, code: error.code, remoteAddress: socket.remoteAddress },
      "Refused TLS handshake",
    );
  });
  const unsubscribe = identities.onChange((next) => {
    server.setSecureContext(serverContext(next, options.groups));
    log.info({ spiffeId: next.spiffeId, notAfter: next.notAfter }, "Reloaded serving identity");
  });

  const port = await listen(server, options.listen, log, "Inbound proxy");
  return {
    port,
    async close(graceMs = 5000) {
      unsubscribe();
      await drain(server, graceMs);
      upstreamAgent.destroy();
    },
  };
}

/**
 * An HTTPS listener for LatticeGuard's TLS endpoints (the admission webhook, the issuance API): TLS 1.3
 * only, the key-exchange groups given (post-quantum hybrids first), certificates swapped in without a
 * restart as their source renews them, and a close that drops every connection.
 *
 * Every connection is bounded, so neither many clients nor slow ones can pile connections up:
 * - at most `maxConnections` open at once, and at most `maxConnectionsPerClient` from one client
 *   (client-key.ts: an IPv4 address or an IPv6 /64); a connection over either limit is closed as it
 *   arrives, before its TLS handshake costs anything;
 * - the TLS handshake must finish within `handshakeTimeoutMs`, the request headers arrive within
 *   `headersTimeoutMs` of the connection (or of the previous request), and the whole request within
 *   `requestTimeoutMs`; a connection that sends nothing, or a byte at a time (slowloris), is closed
 *   when its time is up (with 408 once TLS is up);
 * - an idle keep-alive connection is closed after `keepAliveTimeoutMs`.
 * Bodies are bounded by each server's own body limit.
 *
 * @example
 * const listening = await listenTls(app, { host: "0.0.0.0", port: 9443, groups, certificates, log, name: "Webhook" });
 * await listening.close();
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { RequestListener } from "node:http";
import type { Logger } from "../log.ts";
import { clientKey } from "../http/client-key.ts";

/** A PEM certificate chain and its private key. */
export interface PemPair {
  cert: string;
  key: string;
}

/** Where a server's certificate comes from, and how it learns of a new one. */
export interface ServingCertificates {
  /** The certificate to serve now, once there is one. */
  current(): PemPair | undefined;
  /** Calls `fn` with each new certificate; returns the function that unsubscribes. */
  onChange(fn: (pair: PemPair) => void): () => void;
}

/**
 * How many connections a server holds and how long each may take (see the module notes).
 *
 * @example
 * const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, maxConnectionsPerClient: 16 };
 */
export interface ConnectionLimits {
  maxConnections: number;
  /** Undefined: no limit per client, only `maxConnections`. */
  maxConnectionsPerClient?: number;
  handshakeTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/**
 * The defaults: 1024 connections, a 10 s handshake, headers within 10 s, a request within 30 s, and idle
 * keep-alive connections kept 100 s, longer than the API server's 90 s idle timeout, so the server never
 * closes a connection the API server is about to reuse (a POST it would not retry).
 *
 * @example
 * listenTls(app, { ...options, limits: { ...DEFAULT_CONNECTION_LIMITS, keepAliveTimeoutMs: 5000 } });
 */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  maxConnections: 1024,
  handshakeTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 100_000,
};

/**
 * Why a connection was closed as it arrived.
 *
 * @example
 * onRefused: (reason) => log.debug({ reason }, "Refused connection"),
 */
export type ConnectionRefusal = "ServerFull" | "ClientFull";

/**
 * A listening TLS server.
 *
 * @example
 * const { port } = await listenTls(app, options);
 */
export interface TlsServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Throws a RangeError naming the first limit that is not a positive integer or is inconsistent. */
function checkLimits(limits: ConnectionLimits): void {
  for (const [name, value] of Object.entries(limits))
    if (value !== undefined && !(Number.isInteger(value) && value > 0))
      throw new RangeError(`\`limits.${name}\` must be a positive integer`);
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new RangeError("`limits.headersTimeoutMs` must not exceed `limits.requestTimeoutMs`");
}

/** Closes connections from a client that already holds `max`; counts the rest until they close. */
function limitPerClient(server: Server, max: number, refused: () => void): void {
  const open = new Map<string, number>();
  // Before the TLS layer's own listener, so a refused connection never starts a handshake.
  server.prependListener("connection", (socket: Socket) => {
    const key = clientKey(socket.remoteAddress);
    const count = open.get(key) ?? 0;
    if (count >= max) {
      refused();
      socket.destroy();
      return;
    }
    open.set(key, count + 1);
    socket.once("close", () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}

/**
 * Listens on `host:port` with `app`; resolves once listening (TLS answers once a certificate exists).
 * Throws a RangeError for a bad limit.
 *
 * @example
 * const { port, close } = await listenTls(app, { host: "127.0.0.1", port: 0, groups, certificates, log, name: "Issuance" });
 */
export function listenTls(
  app: RequestListener,
  options: {
    host: string;
    port: number;
    /** OpenSSL group list, e.g. `X25519MLKEM768:SecP256r1MLKEM768`. */
    groups: string;
    certificates: ServingCertificates;
    log: Logger;
    /** Names the server in its error log line, e.g. "Webhook". */
    name: string;
    /** Default {@link DEFAULT_CONNECTION_LIMITS}. */
    limits?: ConnectionLimits;
    /** Called for each connection closed as it arrived; must not throw. */
    onRefused?: (reason: ConnectionRefusal) => void;
  },
): Promise<TlsServer> {
  const limits = options.limits ?? DEFAULT_CONNECTION_LIMITS;
  checkLimits(limits);
  const tlsOptions = { minVersion: "TLSv1.3", ecdhCurve: options.groups } as const;
  const server = createServer(
    {
      ...tlsOptions,
      ...options.certificates.current(),
      handshakeTimeout: limits.handshakeTimeoutMs,
      // How often header and request timeouts are checked (Node's default, 30 s, would let a slow
      // connection live up to 30 s past its timeout).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, limits.headersTimeoutMs / 4)),
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  const refused = (reason: ConnectionRefusal) => () => {
    try {
      options.onRefused?.(reason);
    } catch (error) {
      options.log.error({ err: error }, "Connection refusal hook failed");
    }
  };
  server.on("drop", refused("ServerFull"));
  if (limits.maxConnectionsPerClient !== undefined)
    limitPerClient(server, limits.maxConnectionsPerClient, refused("ClientFull"));
  const unsubscribe = options.certificates.onChange((pair) =>
    server.setSecureContext({ ...tlsOptions, ...pair }),
  );
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      server.on("error", (error) =>
        options.log.error({ err: error }, `${options.name} server failed`),
      );
      resolve({
        port: (server.address() as AddressInfo).port,
        server,
        close: () =>
          new Promise((done) => {
            unsubscribe();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

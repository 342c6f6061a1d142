/**
 * An HTTPS listener for LatticeGuard's TLS endpoints (the admission webhook, the issuance API): TLS 1.3
 * only, the key-exchange groups given (post-quantum hybrids first), certificates swapped in without a
 * restart as their source renews them, timeouts that never outlive a client's idle connection, and a
 * close that drops every connection.
 *
 * @example
 * const listening = await listenTls(app, { host: "0.0.0.0", port: 9443, groups, certificates, log, name: "Webhook" });
 * await listening.close();
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { RequestListener } from "node:http";
import type { Logger } from "../log.ts";

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

/** A listening TLS server. */
export interface TlsServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Listens on `host:port` with `app`; resolves once listening (TLS answers once a certificate exists). */
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
  },
): Promise<TlsServer> {
  const tlsOptions = { minVersion: "TLSv1.3", ecdhCurve: options.groups } as const;
  const server = createServer({ ...tlsOptions, ...options.certificates.current() }, app);
  // Longer than the API server's 90 s idle timeout, so the server never closes a connection a client
  // is about to reuse.
  server.keepAliveTimeout = 100_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
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

/**
 * Where the webhook server's certificate comes from: self-managed (generated, stored in a Secret,
 * rotated; self-managed.ts) or mounted from a directory that cert-manager fills (cert-dir.ts). The server
 * only sees this interface: it starts serving TLS once `current()` has a certificate and swaps it on every
 * `onChange`, without dropping connections.
 *
 * @example
 * source.onChange((pair) => server.setCertificate(pair));
 * source.start();
 */
import type { PemPair } from "./certs.ts";

/**
 * A certificate that may change over time.
 *
 * @example
 * if (source.current()) serve();
 */
export interface CertificateSource {
  /** The certificate to serve now, once there is one. */
  current(): PemPair | undefined;
  /** Calls `fn` with each new certificate; returns the function that unsubscribes. */
  onChange(fn: (pair: PemPair) => void): () => void;
  /** Starts loading (and, self-managed, renewing) in the background. */
  start(): void;
  /** Resolves once the first certificate is loaded. */
  whenReady(): Promise<PemPair>;
  stop(): Promise<void>;
}

/**
 * The subscriber and readiness bookkeeping both sources share.
 *
 * @example
 * const changes = new ChangeFeed();
 * changes.publish(pair);
 */
export class ChangeFeed {
  private pair: PemPair | undefined;
  private readonly handlers = new Set<(pair: PemPair) => void>();
  private readonly waiters: ((pair: PemPair) => void)[] = [];

  /** The last published certificate. */
  current(): PemPair | undefined {
    return this.pair;
  }

  /** Calls `fn` on every later publication; returns the function that unsubscribes. */
  onChange(fn: (pair: PemPair) => void): () => void {
    this.handlers.add(fn);
    return () => this.handlers.delete(fn);
  }

  /** Resolves with the first certificate, at once if there is one. */
  whenReady(): Promise<PemPair> {
    if (this.pair) return Promise.resolve(this.pair);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Publishes `pair` if it differs from the current one; returns whether it did. */
  publish(pair: PemPair): boolean {
    if (this.pair?.cert === pair.cert && this.pair.key === pair.key) return false;
    this.pair = pair;
    for (const fn of this.handlers) fn(pair);
    for (const resolve of this.waiters.splice(0)) resolve(pair);
    return true;
  }
}

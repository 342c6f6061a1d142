/**
 * The proxy's identity keeper: the agent's own loop (agent/keeper.ts: obtain, check, write the files to
 * `--identity-dir`, renew at about two thirds of the lifetime with jitter, back off on failure), with each
 * new identity also published in memory to the TLS side, which swaps it in for new connections (inbound:
 * `setSecureContext`; outbound: a new connection pool) while open connections keep theirs. The TLS side
 * never reads the files back.
 *
 * @example
 * const identities = new IdentityFeed();
 * identities.onChange((identity) => server.setSecureContext(serverContext(identity, groups)));
 * void runIdentityKeeper(config, { identities, metrics, log, signal });
 * const first = await identities.whenReady(signal);
 */
import type { KeeperOptions, KeptIdentity } from "../agent/keeper.ts";
import { keepIdentity } from "../agent/keeper.ts";
import { parseWorkloadSpiffeId } from "../crypto/index.ts";
import type { Logger } from "../log.ts";
import type { CommonConfig } from "./flags.ts";
import type { ProxyMetrics } from "./metrics.ts";

/**
 * The identity the proxy presents and verifies peers with.
 *
 * @example
 * tls.createSecureContext({ cert: identity.certificate, key: identity.keyPem, ca: identity.bundle });
 */
export interface ProxyIdentity {
  certificate: string;
  keyPem: string;
  /** Every anchor to verify peers with (PEM). */
  bundle: string;
  spiffeId: string;
  /** The trust domain of `spiffeId`: peers' IDs are read against it. */
  trustDomain: string;
  notAfter: Date;
}

/**
 * The identity as the keeper wrote it, for the TLS side.
 *
 * @example
 * feed.publish(proxyIdentity(kept));
 */
export function proxyIdentity(kept: KeptIdentity): ProxyIdentity {
  return {
    certificate: kept.certificate,
    keyPem: kept.keyPem,
    bundle: kept.bundle,
    spiffeId: kept.spiffeId,
    trustDomain: parseWorkloadSpiffeId(kept.spiffeId).trustDomain,
    notAfter: kept.notAfter,
  };
}

/**
 * The current identity and who wants to hear of the next one.
 *
 * @example
 * const feed = new IdentityFeed();
 * feed.onChange((identity) => reload(identity));
 */
export class IdentityFeed {
  private identity: ProxyIdentity | undefined;
  private readonly handlers = new Set<(identity: ProxyIdentity) => void>();

  /** The identity in use, once there is one. */
  current(): ProxyIdentity | undefined {
    return this.identity;
  }

  /** Calls `fn` with every later identity; returns the function that unsubscribes. */
  onChange(fn: (identity: ProxyIdentity) => void): () => void {
    this.handlers.add(fn);
    return () => this.handlers.delete(fn);
  }

  /** Makes `identity` current and tells every subscriber. */
  publish(identity: ProxyIdentity): void {
    this.identity = identity;
    for (const fn of this.handlers) fn(identity);
  }

  /** Resolves with the first identity, or undefined if `signal` aborts first. */
  whenReady(signal: AbortSignal): Promise<ProxyIdentity | undefined> {
    if (this.identity || signal.aborted) return Promise.resolve(this.identity);
    return new Promise((resolve) => {
      const done = () => {
        unsubscribe();
        signal.removeEventListener("abort", done);
        resolve(this.identity);
      };
      const unsubscribe = this.onChange(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

/**
 * Keeps the identity current until `signal` aborts (never rejects), publishing each one to `identities`
 * and its expiry to the metrics.
 *
 * @example
 * await runIdentityKeeper(config, { identities, metrics, log, signal });
 */
export function runIdentityKeeper(
  config: Pick<CommonConfig, "issuer" | "tokenFile" | "bundleFile" | "identityDir" | "algorithm">,
  deps: {
    identities: IdentityFeed;
    metrics: ProxyMetrics;
    log: Logger;
    signal: AbortSignal;
    /** Replaces parts of the keeper (tests: a fake clock, a fake issuer). */
    keeper?: Partial<KeeperOptions>;
  },
): Promise<void> {
  return keepIdentity({
    issuer: config.issuer,
    tokenFile: config.tokenFile,
    bundleFile: config.bundleFile,
    outDir: config.identityDir,
    algorithm: config.algorithm,
    signal: deps.signal,
    log: deps.log,
    ...deps.keeper,
    onWritten: (kept) => {
      deps.metrics.identityExpiry.set(kept.notAfter.getTime() / 1000);
      deps.identities.publish(proxyIdentity(kept));
    },
  });
}

/**
 * One running proxy, either mode: the metrics endpoints first (so `/healthz` answers while the identity
 * is being obtained), the identity keeper, then, once the first identity is in, the inbound or outbound
 * listener; ready from then on. Stopping ends the keeper, stops accepting, gives requests in flight a
 * short grace period and closes the endpoints.
 *
 * @example
 * const proxy = await startProxy(config, { log });
 * const port = await proxy.listening;
 * await proxy.stop();
 */
import type { KeeperOptions } from "../agent/keeper.ts";
import type { Logger } from "../log.ts";
import type { ProxyConfig } from "./flags.ts";
import { serveProxyHttp, type ProxyHttp } from "./http.ts";
import { IdentityFeed, runIdentityKeeper } from "./identity.ts";
import { startInbound } from "./inbound.ts";
import { createProxyMetrics, type ProxyMetrics } from "./metrics.ts";
import { startOutbound } from "./outbound.ts";

/**
 * How long requests in flight may finish after a stop, before their connections are closed. A native
 * sidecar is stopped after the workload's containers, so little is in flight by then.
 *
 * @example
 * await listener.close(DRAIN_MS);
 */
export const DRAIN_MS = 5000;

/**
 * A proxy that has started.
 *
 * @example
 * await proxy.listening; // the listener's port
 */
export interface RunningProxy {
  metrics: ProxyMetrics;
  identities: IdentityFeed;
  /** Undefined with `--metrics-address=off`. */
  metricsPort: number | undefined;
  /** The listener's port once an identity is loaded and it listens; rejects if it cannot listen. */
  listening: Promise<number>;
  /** An identity is loaded and the listener is up. */
  ready(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts the proxy; resolves once the metrics endpoints listen (the listener follows the identity).
 *
 * @example
 * const proxy = await startProxy(parseProxyFlags(argv), { log });
 */
export async function startProxy(
  config: ProxyConfig,
  deps: { log: Logger; keeper?: Partial<KeeperOptions>; processMetrics?: boolean },
): Promise<RunningProxy> {
  const { log } = deps;
  const metrics = createProxyMetrics(
    { namespace: config.server.namespace, mcpserver: config.server.name, direction: config.mode },
    { processMetrics: deps.processMetrics ?? true },
  );
  const identities = new IdentityFeed();
  const stopping = new AbortController();
  let listener: { close(graceMs: number): Promise<void> } | undefined;
  const http: ProxyHttp | undefined = config.metricsAddress
    ? await serveProxyHttp(config.metricsAddress, {
        registry: metrics.registry,
        ready: () => listener !== undefined && identities.current() !== undefined,
        log,
      })
    : undefined;
  const keeping = runIdentityKeeper(config, {
    identities,
    metrics,
    log: log.child({ component: "identity" }),
    signal: stopping.signal,
    keeper: deps.keeper,
  });
  const listening = (async () => {
    const identity = await identities.whenReady(stopping.signal);
    if (!identity) throw new Error("the proxy stopped before it obtained an identity");
    const common = { listen: config.listen, upstream: config.upstream, groups: config.groups };
    const running =
      config.mode === "inbound"
        ? await startInbound({
            ...common,
            rules: config.allow,
            server: config.server,
            identities,
            metrics,
            log,
          })
        : await startOutbound({
            ...common,
            serverName: config.serverName,
            server: config.server,
            identities,
            metrics,
            log,
          });
    listener = running;
    log.info(
      {
        mode: config.mode,
        mcpserver: `${config.server.namespace}/${config.server.name}`,
        port: running.port,
        metricsPort: http?.port,
        spiffeId: identity.spiffeId,
        groups: config.groups,
      },
      "Started proxy",
    );
    return running.port;
  })();
  listening.catch(() => undefined); // the caller reads it; a stop before the identity is no crash
  return {
    metrics,
    identities,
    metricsPort: http?.port,
    listening,
    ready: () => listener !== undefined && identities.current() !== undefined,
    async stop() {
      stopping.abort();
      await listening.catch(() => undefined); // a listener being started is closed too
      await Promise.all([listener?.close(DRAIN_MS), keeping]);
      await http?.close();
      log.info("Stopped proxy");
    },
  };
}

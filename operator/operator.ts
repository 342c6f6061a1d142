/**
 * `latticeguard operator`: the informers, the controllers (MCPServer, CryptoPolicy, trust anchor, trust
 * bundle and shadow MCP servers), the handshake probe, leader election, the admission webhook and the
 * HTTP endpoints, started in order and stopped in reverse on SIGTERM. Informers, the webhook, the HTTP
 * endpoints and the issuing authority (read from the anchor Secret's cache) run on every replica;
 * controllers reconcile and the probe probes only on the leader.
 *
 * @example
 * const operator = await startOperator(config);
 * await operator.stop();
 */
import type { KubeConfig, V1Namespace, V1Pod } from "@kubernetes/client-node";
import type { OperatorConfig } from "./cli/flags.ts";
import { cryptoPolicyReconciler } from "./cryptopolicy/reconcile.ts";
import { operatorCbomRoute } from "./cbom/serve.ts";
import type { ObservedTransport } from "./cbom/inventory.ts";
import { TransportProbe } from "./probe/probe.ts";
import { apiEventRecorder } from "./events.ts";
import { secretAuthority, type SecretAuthority } from "./identity/anchor/authority.ts";
import { startIssuer, type RunningIssuer } from "./identity/issuer/issuer.ts";
import type { IssuerCaches } from "./identity/issuer/handle.ts";
import { trustControllers } from "./identity/anchor/controllers.ts";
import { apiConfigMapRemover } from "./identity/anchor/bundle-reconcile.ts";
import { latestWins } from "./identity/issuer/status.ts";
import { ISSUER_FIELD_MANAGER, apiWriter, type Writer } from "./kube/apply.ts";
import { loadKubeConfig } from "./kube/kubeconfig.ts";
import { logger } from "./log.ts";
import { keyMaterial } from "./mcpserver/key-material.ts";
import { mcpServerReconciler } from "./mcpserver/reconcile.ts";
import { RekeyLimiter } from "./mcpserver/rekey-limiter.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import {
  Controller,
  allKeysOf,
  ownerKeysOf,
  specFingerprint,
  whenChanged,
} from "./runtime/controller.ts";
import { operatorInformers } from "./informers.ts";
import { shareConnections } from "./kube/shared-connections.ts";
import { LeaderElector } from "./runtime/leader.ts";
import type { QueueHooks } from "./runtime/queue.ts";
import type { Registry } from "prom-client";
import { serveOperatorHttp } from "./server.ts";
import { shadowController } from "./shadow/controller.ts";
import {
  CHILD_DELAY_MS,
  COVERAGE_DELAY_MS,
  coverageFingerprint,
  namespaceFingerprint,
  podFingerprint,
  serversInNamespaceOf,
} from "./watch-triggers.ts";
import { certificateSource, startWebhook, type RunningWebhook } from "../webhook/webhook.ts";

/** A running operator. */
export interface RunningOperator {
  /** The port of `/metrics`, `/healthz` and `/readyz`. */
  httpPort: number;
  /** The admission webhook's HTTPS port, unless it is off. */
  webhookPort: number | undefined;
  /** The identity issuance API's HTTPS port, unless it is off. */
  issuerPort: number | undefined;
  metrics: Metrics;
  /** Signs workload identities with the active trust anchor, on every replica (for the issuance API). */
  authority: SecretAuthority;
  stop(): Promise<void>;
}

/** The name of the leader-election Lease in the operator's namespace. */
export const LEASE_NAME = "latticeguard-operator";

function queueHooks(metrics: Metrics, controller: string): QueueHooks {
  return {
    onReconciled(_key, outcome, durationMs) {
      metrics.reconciles.inc({ controller, result: outcome });
      if (outcome === "error") metrics.reconcileErrors.inc({ controller });
      metrics.reconcileDuration.observe({ controller }, durationMs / 1000);
    },
  };
}

/** The identity issuance API (and the CBOM beside it) on this replica, unless `--issuer-bind-address=off`. */
async function startIdentityIssuer(
  kc: KubeConfig,
  config: OperatorConfig,
  caches: IssuerCaches,
  authority: SecretAuthority,
  registry: Registry,
  cachesReady: () => boolean,
  writer: Writer,
  observedTransport: () => ObservedTransport[] | undefined,
): Promise<RunningIssuer | undefined> {
  const {
    issuerAddress,
    issuerService: svc,
    trustDomain,
    maxTtlMs,
    issuerLimits,
  } = config.identity;
  if (!issuerAddress) return undefined;
  const ns = config.namespace;
  const log = logger.child({ component: "issuer" });
  // Recorded in the MCPServer's status.identity under the issuer's own field manager, from any replica;
  // one write per MCPServer at a time, so a burst of issuances never piles up status writes.
  const recordIdentity = latestWins<object>(
    (key, identity) => {
      const [namespace, name] = key.split("/") as [string, string];
      return writer.applyStatus(
        { kind: "MCPServer", metadata: { name, namespace } },
        "mcpservers",
        { identity },
        ISSUER_FIELD_MANAGER,
      );
    },
    (key, error) =>
      log.warn({ err: error, mcpserver: key }, "Failed to record issued identity in status"),
  );
  return startIssuer({
    kc,
    address: issuerAddress,
    caches,
    authority,
    trustDomain,
    maxTtlMs,
    servingNames: [svc, `${svc}.${ns}`, `${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`],
    registry,
    log,
    cachesReady,
    limits: issuerLimits,
    ...(config.watchNamespaces && { watchNamespaces: config.watchNamespaces }),
    // GET /v1/cbom shares the listener (operator/cbom/serve.ts says why).
    routes: [operatorCbomRoute({ kc, config, registry, log: logger, observedTransport })],
    onIssued: ({ namespace, mcpserver, algorithm, notAfter }) =>
      recordIdentity(`${namespace}/${mcpserver}`, {
        algorithm,
        lastIssuanceTime: new Date().toISOString(),
        // X.509 times have whole seconds: report what the certificate says.
        lastIssuedNotAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000).toISOString(),
      }),
  });
}

/** Starts everything; resolves once the HTTP endpoints listen (caches sync in the background). */
export async function startOperator(config: OperatorConfig): Promise<RunningOperator> {
  const log = logger.child({ component: "operator" });
  logger.level = config.logLevel;
  // Every API request but a watch is abandoned after --kube-api-timeout.
  const kc = loadKubeConfig(config.kubeconfig, config.kubeApiTimeoutMs);
  if (!shareConnections(kc))
    log.warn("Found no way to share API server connections: each request opens its own");
  const metrics = createMetrics();
  const informers = operatorInformers(kc, config);
  const { servers, policies, namespaces, pods, services, secrets, configMaps } = informers;

  const elector = config.leaderElect
    ? new LeaderElector(kc, {
        namespace: config.namespace,
        name: LEASE_NAME,
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
      })
    : undefined;
  elector?.subscribe({
    onStartedLeading: () => metrics.leader.set(1),
    onStoppedLeading: () => metrics.leader.set(0),
  });
  if (!elector) metrics.leader.set(1);

  const writer = apiWriter(kc);
  const events = apiEventRecorder(kc, log, { registry: metrics.registry });
  const now = () => Date.now();
  const mcpServers = new Controller({
    name: "mcpserver",
    leader: elector,
    queue: {
      concurrency: config.workers,
      minRequeueAfterMs: 50,
      maxKeys: 100_000,
      hooks: queueHooks(metrics, "mcpserver"),
    },
    reconcile: mcpServerReconciler({
      servers,
      policies,
      namespaces,
      secrets,
      configMaps,
      pods,
      proxyImage: config.proxy.image,
      writer,
      events,
      metrics,
      now,
      keys: keyMaterial(config.kemBackend),
      rekeyLimiter: new RekeyLimiter(
        { perSecond: config.rekeyPerSecond, burst: config.rekeyBurst },
        now,
      ),
      log: logger,
    }),
  })
    .watch(servers)
    // A policy's status changes with every coverage count; only its spec concerns the servers.
    .watch(policies, whenChanged(policies, specFingerprint, allKeysOf(servers)))
    .watch(
      namespaces,
      whenChanged(
        namespaces,
        namespaceFingerprint,
        serversInNamespaceOf(servers, (ns: V1Namespace) => ns.metadata?.name),
      ),
    )
    .watch(
      pods,
      whenChanged(
        pods,
        podFingerprint,
        serversInNamespaceOf(servers, (pod: V1Pod) => pod.metadata?.namespace),
      ),
    )
    // Mostly the echoes of this controller's own writes: by the time they are reconciled, the status
    // written after them is in the cache too, so nothing is written twice.
    .watch(secrets, ownerKeysOf("MCPServer"), { delayMs: CHILD_DELAY_MS })
    .watch(configMaps, ownerKeysOf("MCPServer"), { delayMs: CHILD_DELAY_MS });
  const cryptoPolicies = new Controller({
    name: "cryptopolicy",
    leader: elector,
    queue: { hooks: queueHooks(metrics, "cryptopolicy") },
    reconcile: cryptoPolicyReconciler({
      policies,
      namespaces,
      servers,
      pods,
      proxyImage: config.proxy.image,
      writer,
      events,
      metrics,
      now,
      log: logger,
    }),
  })
    .watch(policies)
    // Another policy's spec can make this one conflict.
    .watch(policies, whenChanged(policies, specFingerprint, allKeysOf(policies)))
    // Coverage: recomputed at most once a second however many objects change.
    .watch(namespaces, whenChanged(namespaces, namespaceFingerprint, allKeysOf(policies)), {
      delayMs: COVERAGE_DELAY_MS,
    })
    .watch(servers, whenChanged(servers, coverageFingerprint, allKeysOf(policies)), {
      delayMs: COVERAGE_DELAY_MS,
    })
    .watch(pods, whenChanged(pods, podFingerprint, allKeysOf(policies)), {
      delayMs: COVERAGE_DELAY_MS,
    });
  const trust = trustControllers({
    identity: config.identity,
    namespace: config.namespace,
    informers: { namespaces, servers, secrets, configMaps, pods },
    writer,
    remove: apiConfigMapRemover(kc),
    events,
    metrics,
    leader: elector,
    hooks: (name) => queueHooks(metrics, name),
    now,
    log: logger,
  });
  const authority = secretAuthority(secrets, config.namespace, config.identity.anchorSecret);
  // The handshake probe: leader-only, on its own schedule, outside every work queue.
  const probe = new TransportProbe(
    {
      servers,
      policies,
      namespaces,
      pods,
      bundle: () => authority.bundle(),
      proxyImage: config.proxy.image,
      writer,
      events,
      metrics,
      log: logger.child({ component: "probe" }),
      leader: elector,
    },
    config.probe,
  );
  const shadow = shadowController({
    informers: { policies, namespaces, servers, pods, services },
    writer,
    events,
    metrics,
    leader: elector,
    hooks: queueHooks(metrics, "shadow"),
    now,
    log: logger,
  });
  const controllers = [mcpServers, cryptoPolicies, ...trust, shadow];

  const synced = () => informers.all.every((i) => i.synced);
  let webhook: RunningWebhook | undefined;
  if (config.webhook) {
    const { webhook: w } = config;
    webhook = await startWebhook({
      kc,
      address: w.address,
      caches: { namespaces, policies, servers },
      certificates:
        w.tls === "cert-manager"
          ? certificateSource({ mode: "cert-manager", certDir: w.certDir, log })
          : certificateSource({
              mode: "self-managed",
              kc,
              namespace: config.namespace,
              secretName: w.secret,
              webhookConfiguration: w.configuration,
              mutatingWebhookConfiguration: w.mutatingConfiguration,
              service: w.service,
              log,
            }),
      log,
      events,
      metrics,
      cachesReady: synced,
      injection: {
        proxyImage: config.proxy.image,
        issuerUrl: config.proxy.issuerUrl,
        bundleConfigMap: config.identity.bundleConfigMap,
      },
    });
    if (!config.proxy.image)
      log.warn("Found no --proxy-image: LatticeGuard's proxy is not injected into any pod");
  }
  const issuer = await startIdentityIssuer(
    kc,
    config,
    { pods, servers, policies, namespaces },
    authority,
    metrics.registry,
    synced,
    writer,
    () => probe.observed(),
  );
  const http = await serveOperatorHttp(config.metricsAddress, {
    metrics,
    ready: () => synced() && (webhook?.ready() ?? true) && (issuer?.ready() ?? true),
    beforeScrape: () => {
      for (const c of controllers) metrics.queueDepth.set({ controller: c.name }, c.stats().depth);
    },
  });
  for (const c of controllers) c.start();
  probe.start();
  elector?.start();
  log.info(
    {
      httpPort: http.port,
      webhookPort: webhook?.port,
      issuerPort: issuer?.port,
      leaderElect: config.leaderElect,
      kemBackend: config.kemBackend,
      trustDomain: config.identity.trustDomain,
    },
    "Started operator",
  );

  return {
    httpPort: http.port,
    webhookPort: webhook?.port,
    issuerPort: issuer?.port,
    metrics,
    authority,
    async stop() {
      await Promise.all([...controllers.map((c) => c.stop()), probe.stop()]);
      await elector?.stop();
      await webhook?.stop();
      await issuer?.stop();
      await Promise.all(informers.all.map((i) => i.stop()));
      await http.close();
      log.info("Stopped operator");
    },
  };
}

/**
 * The admission webhooks, assembled: validators (`/validate`) and the proxy injection (`/mutate`), views
 * over the operator's informer caches, throttled Events, metrics, a certificate source and the HTTPS
 * server. Every replica runs one (admission must not
 * wait for a leader election), so this is started beside the informers, not by a controller.
 *
 * @example
 * const webhook = await startWebhook({ kc, address: { host: "0.0.0.0", port: 9443 }, caches, certificates, log });
 * await webhook.stop();
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { EventRecorder } from "../operator/events.ts";
import type { Logger } from "../operator/log.ts";
import type { Metrics } from "../operator/metrics.ts";
import { admission } from "./admit.ts";
import { clusterViews, type ViewCaches } from "./cluster-view.ts";
import { throttledEvents } from "./events.ts";
import { sharedFreshReads } from "./fresh-reads.ts";
import type { InjectionSettings } from "./injection.ts";
import { mutation } from "./mutate.ts";
import { serveWebhook } from "./server.ts";
import { DirectoryCertificates } from "../operator/tls/cert-dir.ts";
import type { Hosts } from "../operator/tls/certs.ts";
import { SelfManagedCertificates } from "./tls/self-managed.ts";
import type { CertificateSource } from "../operator/tls/source.ts";
import { VALIDATORS } from "./validators.ts";

/**
 * What the webhook is started with.
 *
 * @example
 * const options: WebhookOptions = { kc, address, caches, certificates, log, events, metrics };
 */
export interface WebhookOptions {
  kc: KubeConfig;
  address: { host: string; port: number };
  caches: ViewCaches;
  certificates: CertificateSource;
  log: Logger;
  events?: EventRecorder;
  metrics?: Metrics;
  /** Whether the caches have synced; `/readyz` answers 503 until they have. */
  cachesReady?: () => boolean;
  tlsGroups?: string;
  bodyLimitBytes?: number;
  /** How the proxy is injected (`/mutate`) and recognised (`/validate`); absent: neither happens. */
  injection?: InjectionSettings;
}

/**
 * A running webhook.
 *
 * @example
 * if (webhook.ready()) log.info("Serving admission");
 */
export interface RunningWebhook {
  port: number;
  /** A certificate is loaded and the caches have synced. */
  ready(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts the webhook; resolves once it listens (TLS answers once a certificate is loaded).
 *
 * @example
 * const { port } = await startWebhook(options);
 */
export async function startWebhook(options: WebhookOptions): Promise<RunningWebhook> {
  const log = options.log.child({ component: "webhook" });
  const views = clusterViews(options.caches, options.kc);
  // Fresh reads are shared per namespace and bounded, so reviews cannot flood the API server.
  const shared = { ...views, fresh: sharedFreshReads((namespace) => views.fresh(namespace)) };
  const handle = admission({
    validators: VALIDATORS,
    views: shared,
    injection: options.injection,
    events: options.events && throttledEvents(options.events),
    metrics: options.metrics,
    log,
  });
  const { injection } = options;
  const mutate = injection
    ? mutation({ views: shared, settings: injection, metrics: options.metrics, log })
    : undefined;
  const ready = () =>
    (options.cachesReady?.() ?? true) && options.certificates.current() !== undefined;
  const server = await serveWebhook({
    host: options.address.host,
    port: options.address.port,
    handle,
    mutate,
    certificates: options.certificates,
    log,
    ready,
    metrics: options.metrics,
    tlsGroups: options.tlsGroups,
    bodyLimitBytes: options.bodyLimitBytes,
  });
  options.certificates.start();
  log.info({ port: server.port }, "Started webhook server");
  return {
    port: server.port,
    ready,
    async stop() {
      await options.certificates.stop();
      await server.close();
      log.info("Stopped webhook server");
    },
  };
}

/**
 * Where the certificate comes from, as configured.
 *
 * @example
 * certificateSource({ mode: "self-managed", kc, namespace, secretName, webhookConfiguration,
 *   mutatingWebhookConfiguration, service: "latticeguard-webhook", log });
 */
export function certificateSource(
  options:
    | { mode: "cert-manager"; certDir: string; log: Logger }
    | {
        mode: "self-managed";
        kc: KubeConfig;
        namespace: string;
        secretName: string;
        webhookConfiguration: string | undefined;
        mutatingWebhookConfiguration?: string;
        service: string;
        log: Logger;
      },
): CertificateSource {
  const log = options.log.child({ component: "webhook-tls" });
  if (options.mode === "cert-manager")
    return new DirectoryCertificates({ dir: options.certDir, log });
  const hosts: Hosts = { dns: [`${options.service}.${options.namespace}.svc`], ips: ["127.0.0.1"] };
  return new SelfManagedCertificates({ ...options, hosts, log });
}

/**
 * The issuance API, assembled: the request handler over the API server (TokenReviews, remembered for a
 * few seconds; pod reads where the pods informer does not hold the token's pod) and the operator's
 * informer caches, a serving certificate from the trust anchor, metrics, logs and the HTTPS server. Every replica runs one (issuance must not wait for a leader election); it only reads the
 * cluster, so replicas never disagree about what they write.
 *
 * Needs RBAC: `create` on `tokenreviews.authentication.k8s.io` and `get` on `pods` (in the watched
 * namespaces only, when `watchNamespaces` names them; the operator's pods informer lists and watches
 * them already).
 *
 * Logs name the caller only by what the API server said (namespace, pod, service account) and the refusal
 * reason; never the token, the CSR or a message that may quote them.
 *
 * @example
 * const issuer = await startIssuer({
 *   kc, address: { host: "0.0.0.0", port: 8443 }, caches: { pods, servers, policies, namespaces },
 *   authority, trustDomain: "cluster.local",
 *   servingNames: ["latticeguard-issuer.latticeguard-system.svc"], registry: metrics.registry, log,
 * });
 * await issuer.stop();
 */
import { AuthenticationV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import {
  KEY_EXCHANGE_GROUPS,
  type KeyExchangeGroup,
  type SignatureAlgorithm,
} from "../../api/algorithms.ts";
import { assertTrustDomain } from "../../crypto/index.ts";
import type { ConnectionLimits } from "../../tls/server.ts";
import { isNotFound } from "../../kube/apply.ts";
import { requestTimeout } from "../../kube/kubeconfig.ts";
import type { Logger } from "../../log.ts";
import type { IssuingAuthority } from "../authority.ts";
import {
  ISSUER_API_TIMEOUT_MS,
  issuanceHandler,
  type IssuanceOutcome,
  type IssuerCaches,
} from "./handle.ts";
import type { IssuerLimits } from "./limits.ts";
import { createIssuerMetrics, type IssuerMetrics } from "./metrics.ts";
import { REFUSAL_STATUS, type RefusalReason } from "./refusals.ts";
import { cachedPodReader } from "./pod-read.ts";
import { cachedReview, type ReviewCacheOptions } from "./review-cache.ts";
import { serveIssuer, type IssuerRoute } from "./server.ts";
import { ServingCertificates } from "./serving.ts";
import { reviewToken } from "./token-review.ts";

/** What may be logged of an error behind a failed request: its HTTP code and first line, nothing else. */
function describeCause(cause: unknown): { code?: number; message: string } {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const message =
    cause instanceof Error ? cause.message.split("\n")[0]!.slice(0, 200) : String(cause);
  return { ...(typeof code === "number" && { code }), message };
}

/**
 * The audience a projected token must carry for the issuance API.
 *
 * @example
 * // pod spec: serviceAccountToken: { audience: DEFAULT_AUDIENCE, expirationSeconds: 600, path: token }
 */
export const DEFAULT_AUDIENCE = "latticeguard.dev/identity";

/**
 * What was issued, as `onIssued` reports it (for the MCPServer's status).
 *
 * @example
 * onIssued: ({ namespace, mcpserver, algorithm, notAfter }) => statusFeed.push(…)
 */
export interface IssuanceReport {
  namespace: string;
  mcpserver: string;
  algorithm: SignatureAlgorithm;
  notAfter: Date;
}

/**
 * How the issuance API is started.
 *
 * @example
 * const options: IssuerOptions = { kc, address, caches, authority, trustDomain, servingNames, registry, log };
 */
export interface IssuerOptions {
  kc: KubeConfig;
  address: { host: string; port: number };
  caches: IssuerCaches;
  authority: IssuingAuthority;
  /** Default {@link DEFAULT_AUDIENCE}. */
  audience?: string;
  trustDomain: string;
  /** DNS names of the issuer's Service, for its serving certificate (127.0.0.1 is always added). */
  servingNames: readonly string[];
  /** Where the issuer's metrics are registered. */
  registry: Registry;
  log: Logger;
  /** Called after each issuance; must not throw (a throw is logged and ignored). */
  onIssued?: (report: IssuanceReport) => void;
  /** Whether the caches have synced; `/readyz` answers 503 until they have. */
  cachesReady?: () => boolean;
  /** The cluster's DNS domain, for the `<svc>.<ns>.svc.<domain>` SAN; default `cluster.local`. */
  clusterDomain?: string;
  /** The longest identity issued, whatever the policy says (`--max-identity-ttl`). */
  maxTtlMs?: number;
  /** The only namespaces whose pods may ask (`--watch-namespaces`); default every namespace. */
  watchNamespaces?: readonly string[];
  tlsGroups?: string;
  bodyLimitBytes?: number;
  /**
   * Requests per client and in flight (issuer-limits.ts). Default: 64 in flight and no per-client rate;
   * the operator passes `--issuer-rate`, `--issuer-burst` and `--issuer-max-inflight`.
   */
  limits?: IssuerLimits;
  /** Connections at once, per client, and their timeouts; default the issuer server's. */
  connectionLimits?: ConnectionLimits;
  /** How long and how many successful TokenReviews are remembered (review-cache.ts); default 10 s. */
  reviewCache?: Pick<ReviewCacheOptions, "ttlMs" | "maxEntries">;
  /** Serving-certificate lifetime and how often the signer is checked for a change. */
  serving?: { lifetimeMs?: number; checkIntervalMs?: number };
  /** More `GET` routes on the same listener (the operator's `/v1/cbom`). */
  routes?: readonly IssuerRoute[];
  now?: () => Date;
}

/**
 * A running issuance API.
 *
 * @example
 * `https://127.0.0.1:${issuer.port}/v1/identity`;
 */
export interface RunningIssuer {
  port: number;
  metrics: IssuerMetrics;
  /** A serving certificate is loaded and the caches have synced. */
  ready(): boolean;
  /** Resolves once a serving certificate is loaded. */
  whenServing(): Promise<void>;
  stop(): Promise<void>;
}

const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

function checkOptions(options: IssuerOptions): void {
  assertTrustDomain(options.trustDomain);
  if (!options.servingNames.every((name) => DNS_NAME.test(name)))
    throw new RangeError("`servingNames` must be lowercase RFC 1123 DNS names");
  if (options.audience !== undefined && options.audience.trim() === "")
    throw new RangeError("`audience` must not be empty");
  if (options.clusterDomain !== undefined && !DNS_NAME.test(options.clusterDomain))
    throw new RangeError("`clusterDomain` must be a lowercase RFC 1123 DNS name");
  // Bearer tokens cross this connection: only groups with a post-quantum part may be offered.
  const groups = (options.tlsGroups ?? "").split(":").filter(Boolean);
  const classical = groups.filter((g) => !KEY_EXCHANGE_GROUPS.includes(g as KeyExchangeGroup));
  if (classical.length > 0)
    throw new RangeError(
      `\`tlsGroups\` must list only post-quantum groups; not ${classical.join(", ")}`,
    );
}

/** Refusals that shed load: counted in the metrics, logged only at debug level. */
const SHED: ReadonlySet<RefusalReason> = new Set(["RateLimited", "Overloaded"]);

function observer(options: IssuerOptions, metrics: IssuerMetrics, log: Logger) {
  return (outcome: IssuanceOutcome, seconds: number): void => {
    if (outcome.ok) {
      const { namespace, mcpserver, role, algorithm, notAfter, pod, serviceAccount, spiffeId } =
        outcome.issued;
      metrics.issued.inc({ namespace, mcpserver, algorithm });
      metrics.duration.observe({ result: "issued" }, seconds);
      log.info(
        { namespace, pod, serviceAccount, mcpserver, role, algorithm, spiffeId, notAfter, seconds },
        "Issued workload identity",
      );
      // A client identity says nothing about the MCPServer's own pods: its status is not touched.
      if (role === "client") return;
      try {
        options.onIssued?.({ namespace, mcpserver, algorithm, notAfter });
      } catch (error) {
        log.error({ err: error }, "Failed to report an issued identity");
      }
      return;
    }
    const { reason } = outcome.refusal;
    metrics.refusals.inc({ reason });
    metrics.duration.observe({ result: "refused" }, seconds);
    const who = outcome.caller && { namespace: outcome.caller.namespace, pod: outcome.caller.name };
    // A flood is counted, not logged line by line.
    if (SHED.has(reason)) log.debug({ reason }, "Refused identity request");
    else if (REFUSAL_STATUS[reason] >= 500)
      // Only the error's code and message: an API client error can carry request details.
      log.warn(
        { reason, ...who, error: describeCause(outcome.cause) },
        "Failed to answer identity request",
      );
    else log.info({ reason, ...who }, "Refused identity request");
  };
}

/**
 * Starts the issuance API; resolves once it listens (TLS answers once a serving certificate is issued).
 * Throws an Error naming a bad option.
 *
 * @example
 * const issuer = await startIssuer(options);
 * await issuer.whenServing();
 */
export async function startIssuer(options: IssuerOptions): Promise<RunningIssuer> {
  checkOptions(options);
  const log = options.log.child({ component: "issuer" });
  const metrics = createIssuerMetrics(options.registry);
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const authApi = options.kc.makeApiClient(AuthenticationV1Api);
  const core = options.kc.makeApiClient(CoreV1Api);
  const apiTimeout = ISSUER_API_TIMEOUT_MS;
  const now = options.now ?? (() => new Date());
  const lookedUp = (cache: "tokenreview" | "pod") => (hit: boolean) =>
    metrics.cacheLookups.inc({ cache, result: hit ? "hit" : "miss" });
  const handle = issuanceHandler({
    audience,
    // Each call is abandoned when the handler stops waiting for it.
    review: cachedReview(
      (token) =>
        reviewToken(
          { createTokenReview: (r) => authApi.createTokenReview(r, requestTimeout(apiTimeout)) },
          token,
          audience,
        ),
      { ...options.reviewCache, now: () => now().getTime(), onLookup: lookedUp("tokenreview") },
    ),
    readPod: cachedPodReader(
      options.caches.pods,
      (namespace, name) =>
        core
          .readNamespacedPod({ namespace, name }, requestTimeout(apiTimeout))
          .catch((error: unknown) => {
            if (isNotFound(error)) return undefined;
            throw error;
          }),
      lookedUp("pod"),
    ),
    caches: options.caches,
    authority: options.authority,
    trustDomain: options.trustDomain,
    clusterDomain: options.clusterDomain ?? "cluster.local",
    ...(options.maxTtlMs !== undefined && { maxTtlMs: options.maxTtlMs }),
    ...(options.watchNamespaces && { watchNamespaces: options.watchNamespaces }),
    now,
  });
  const serving = new ServingCertificates({
    authority: options.authority,
    dnsNames: options.servingNames,
    log,
    ...options.serving,
  });
  const ready = () => (options.cachesReady?.() ?? true) && serving.current() !== undefined;
  const server = await serveIssuer({
    host: options.address.host,
    port: options.address.port,
    handle,
    certificates: serving,
    observe: observer(options, metrics, log),
    log,
    ready,
    bodyLimitBytes: options.bodyLimitBytes,
    tlsGroups: options.tlsGroups,
    limits: options.limits,
    connectionLimits: options.connectionLimits,
    onConnectionRefused: (reason) => log.debug({ reason }, "Refused connection"),
    routes: options.routes,
  });
  serving.start();
  log.info({ port: server.port, audience }, "Started issuance API");
  return {
    port: server.port,
    metrics,
    ready,
    whenServing: async () => void (await serving.whenReady()),
    async stop() {
      await serving.stop();
      await server.close();
      log.info("Stopped issuance API");
    },
  };
}

/**
 * The operator's CBOM endpoint, assembled: `GET /v1/cbom` on the issuance API's listener (every replica,
 * TLS 1.3 with post-quantum key exchange only, an ML-DSA certificate from the trust anchor that callers
 * verify with the trust bundle), reviewing callers through the API server and reading the cluster as
 * `latticeguard cbom` does, within the operator's own scope (`--watch-namespaces`). The webhook's
 * certificates come from its Secret (self-managed: the operator may read it) or from
 * `--webhook-cert-dir` (cert-manager: `tls.crt` and `ca.crt`, never `tls.key`).
 *
 * Why the issuance listener, not a listener of its own: it is already HTTPS on every replica behind a
 * Service, with per-client connection limits, and its key exchange is post-quantum only, which a map of
 * the cluster's cryptography deserves (recorded today, it must not be readable later). The metrics port
 * is plain HTTP, and the webhook's port is for the API server alone.
 *
 * Needs RBAC: `create` on `tokenreviews.authentication.k8s.io` (the issuance API has it) and on
 * `subjectaccessreviews.authorization.k8s.io`, and the reads of read.ts, which the operator's informers
 * already hold.
 *
 * @example
 * const route = operatorCbomRoute({ kc, config, registry: metrics.registry, log });
 * await startIssuer({ ...options, routes: [route] });
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import type { OperatorConfig } from "../cli/flags.ts";
import type { IssuerRoute } from "../identity/issuer/server.ts";
import { requestTimeout } from "../kube/kubeconfig.ts";
import type { Logger } from "../log.ts";
import { buildCbom } from "./build.ts";
import { serializeCbom } from "./crypto-model.ts";
import { CBOM_MAX_AGE_MS, SharedBuild, cbomHandler, cbomRoute } from "./endpoint.ts";
import { inventoryOf, type WebhookPems } from "./inventory-of.ts";
import type { ObservedTransport } from "./inventory.ts";
import { createCbomMetrics } from "./metrics.ts";
import { readCluster, type ReadScope } from "./read.ts";
import { latticeguardTransport } from "./served.ts";

/** How long a TokenReview or SubjectAccessReview may take. */
const REVIEW_TIMEOUT_MS = 10_000;

/** `tls.crt` and `ca.crt` of a cert-manager certificate directory; the key is never read. */
async function certManagerPems(dir: string): Promise<WebhookPems> {
  const read = (name: string) => readFile(join(dir, name), "utf8").catch(() => undefined);
  const [serving, ca] = await Promise.all([read("tls.crt"), read("ca.crt")]);
  return { source: `--webhook-cert-dir ${dir}`, ...(serving && { serving }), cas: ca ? [ca] : [] };
}

/** What the operator reads for its CBOM. */
function scopeOf(config: OperatorConfig, source: string): ReadScope {
  const webhook = config.webhook;
  return {
    source,
    namespace: config.namespace,
    ...(config.watchNamespaces && { watchNamespaces: config.watchNamespaces }),
    bundleConfigMap: config.identity.bundleConfigMap,
    ...(webhook?.tls === "self-managed" && { webhookSecret: webhook.secret }),
    served: latticeguardTransport({ webhook: webhook !== undefined, issuer: true }),
  };
}

/**
 * The route, its metric registered in `registry`.
 *
 * @example
 * routes: [operatorCbomRoute({ kc, config, registry: metrics.registry, log })]
 */
export function operatorCbomRoute(options: {
  kc: KubeConfig;
  config: OperatorConfig;
  registry: Registry;
  log: Logger;
  /** This replica's name, for the CBOM's `source`; default `$POD_NAME`, else the host name. */
  replica?: string;
  /** What the handshake probe saw (on the leader, after its first round; else `status.transport`). */
  observedTransport?: () => ObservedTransport[] | undefined;
}): IssuerRoute {
  const { kc, config } = options;
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const replica = options.replica ?? process.env.POD_NAME ?? process.env.HOSTNAME ?? "unknown";
  const scope: ReadScope = {
    ...scopeOf(config, `latticeguard operator ${replica}`),
    ...(options.observedTransport && { observedTransport: options.observedTransport }),
  };
  const webhook = config.webhook;
  const shared = new SharedBuild(async () => {
    const extra =
      webhook?.tls === "cert-manager" ? await certManagerPems(webhook.certDir) : undefined;
    const snapshot = await readCluster(kc, { ...scope, ...(extra && { webhook: () => extra }) });
    const at = new Date();
    return serializeCbom(buildCbom(inventoryOf(snapshot, at.getTime()), at));
  }, CBOM_MAX_AGE_MS);
  return cbomRoute({
    handle: cbomHandler({
      review: async (token, audience) =>
        (
          await authn.createTokenReview(
            { body: { spec: { token, audiences: [audience] } } },
            requestTimeout(REVIEW_TIMEOUT_MS),
          )
        ).status,
      access: async (spec) =>
        (
          await authz.createSubjectAccessReview(
            { body: { spec } },
            requestTimeout(REVIEW_TIMEOUT_MS),
          )
        ).status,
      build: () => shared.get(),
    }),
    metrics: createCbomMetrics(options.registry),
    log: options.log.child({ component: "cbom" }),
  });
}

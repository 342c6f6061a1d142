/**
 * The part of a kubelet that a pod's LatticeGuard agent or proxy depends on, for the local control plane,
 * which has no nodes and so no kubelet: the projected service-account token (a TokenRequest token bound
 * to the pod) and the trust bundle ConfigMap that the pod mounts as a file. `make dev` and the
 * integration tests write these files for the agents and proxies they run in place of the pods.
 *
 * @example
 * await writeFile(tokenFile, await podToken(core, { pod, serviceAccount: "tools" }));
 * await writeFile(bundleFile, await trustBundle(core, "mcp-demo") ?? "");
 */
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { BUNDLE_ENTRY } from "../operator/identity/anchor/bundle.ts";
import { DEFAULT_AUDIENCE } from "../operator/identity/issuer/issuer.ts";

/**
 * What a projected token is requested for: the ServiceAccount and the pod it is bound to.
 *
 * @example
 * const request: TokenFor = { serviceAccount: "planner", pod, expirationSeconds: 3600 };
 */
export interface TokenFor {
  serviceAccount: string;
  /** The pod the token is bound to; undefined: an unbound token, in `namespace`. */
  pod: V1Pod | undefined;
  /** The ServiceAccount's namespace; default the pod's. */
  namespace?: string;
  /** Default {@link DEFAULT_AUDIENCE}, the issuance API's. */
  audience?: string;
  /** Default 600, the least the API server grants. */
  expirationSeconds?: number;
}

/**
 * A projected-style service-account token from the TokenRequest API.
 *
 * @example
 * await podToken(core, { serviceAccount: "search", pod }); // audience latticeguard.dev/identity, 10 minutes
 */
export async function podToken(core: CoreV1Api, request: TokenFor): Promise<string> {
  const { pod } = request;
  const namespace = request.namespace ?? pod?.metadata?.namespace;
  if (!namespace) throw new TypeError("`namespace` must be set for a token bound to no pod");
  const answer = await core.createNamespacedServiceAccountToken({
    name: request.serviceAccount,
    namespace,
    body: {
      spec: {
        audiences: [request.audience ?? DEFAULT_AUDIENCE],
        expirationSeconds: request.expirationSeconds ?? 600,
        ...(pod && {
          boundObjectRef: {
            kind: "Pod",
            apiVersion: "v1",
            name: pod.metadata!.name,
            uid: pod.metadata!.uid,
          },
        }),
      },
    },
  });
  const token = answer.status?.token;
  if (!token) throw new Error("TokenRequest returned no token");
  return token;
}

/**
 * The PEM trust bundle the operator copied into `namespace` (ConfigMap `name`), or undefined while
 * there is none.
 *
 * @example
 * const pem = await trustBundle(core, "mcp-demo");
 */
export async function trustBundle(
  core: CoreV1Api,
  namespace: string,
  name = "latticeguard-trust-bundle",
): Promise<string | undefined> {
  const configMap = await core
    .readNamespacedConfigMap({ name, namespace })
    .catch(() => undefined);
  return configMap?.data?.[BUNDLE_ENTRY] || undefined;
}

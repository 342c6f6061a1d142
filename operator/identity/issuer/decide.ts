/**
 * What the issuance API decides, as small pure functions over what it gathered (the reviewed token, the
 * pod as the API server returned it, the cached MCPServers and the namespace's effective policy), called
 * in order by the handler; the first that refuses ends the request.
 *
 * - The pod must still exist with the token's UID, not be terminating, and run as the token's service
 *   account (the API server already refuses to bind a token to a pod of another account; checked again).
 * - An MCPServer in its namespace must select it; with several, the first by name speaks for it. A pod
 *   no MCPServer selects may still get a client identity (SPIFFE ID only, no DNS names) when its
 *   `latticeguard.dev/connect` annotation names an MCPServer whose `spec.clients` admit its SPIFFE ID;
 *   the first admitting one in the annotation's order speaks for it. It then holds any algorithm its own
 *   namespace's policy allows (the server's narrowing is the server's own), for that policy's TTL.
 * - The CSR's algorithm must be allowed: the server's `spec.identity.algorithm` when the policy allows it,
 *   otherwise any of the policy's (the policy wins, as in mcpserver/decide.ts, which reports the server
 *   non-compliant). A conflict that leaves no identity algorithm allows nothing.
 * - The certificate: the SPIFFE ID of the pod's service account, the four DNS names of the server's
 *   Service, valid from a minute ago (clock skew) for the policy's TTL, inside the signer's validity.
 *
 * @example
 * const server = selectingServer(pod, servers);
 * const allowed = allowedAlgorithms(server, resolution); // ["ML-DSA-87"]
 * const plan = identityPlan({ caller, server, policy, trustDomain, clusterDomain, now, signer });
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { SignatureAlgorithm } from "../../api/algorithms.ts";
import { CONNECT_ANNOTATION } from "../../api/annotations.ts";
import type { MCPServer } from "../../api/types.generated.ts";
import { workloadSpiffeId } from "../../crypto/index.ts";
import { clientAllowed, clientRules } from "../../policy/clients.ts";
import type { EffectivePolicy, PolicyResolution } from "../../policy/merge.ts";
import { selects } from "../../policy/selector.ts";
import { refuse, type Refusal } from "./refusals.ts";
import type { TokenPod } from "./token-review.ts";

/**
 * How far before the moment of issuance a certificate starts, so a peer whose clock is a little behind
 * still accepts it.
 *
 * @example
 * new Date(now.getTime() - BACKDATE_MS);
 */
export const BACKDATE_MS = 60_000;

/**
 * Checks the pod the API server returned (undefined: not found) against the token's claims.
 *
 * @example
 * checkPod(caller, await readPod(caller.namespace, caller.name)); // undefined when it is the same pod
 */
export function checkPod(caller: TokenPod, pod: V1Pod | undefined): Refusal | undefined {
  const name = `"${caller.namespace}/${caller.name}"`;
  if (!pod) return refuse("PodGone", `pod ${name} no longer exists`);
  if (pod.metadata?.uid !== caller.uid)
    return refuse(
      "PodGone",
      `pod ${name} was replaced: its UID is not the one the token is bound to`,
    );
  if (pod.metadata.deletionTimestamp) return refuse("PodGone", `pod ${name} is being deleted`);
  const account = pod.spec?.serviceAccountName || "default";
  if (account !== caller.serviceAccount)
    return refuse(
      "NotBoundToPod",
      `pod ${name} runs as service account "${account}", not the token's "${caller.serviceAccount}"`,
    );
  return undefined;
}

/**
 * The MCPServer that speaks for `pod`: the first by name, among `servers` in its namespace, whose
 * selector selects its labels.
 *
 * @example
 * selectingServer(pod, servers.list())?.metadata.name; // "weather"
 */
export function selectingServer(pod: V1Pod, servers: readonly MCPServer[]): MCPServer | undefined {
  const namespace = pod.metadata?.namespace;
  return servers
    .filter((s) => s.metadata.namespace === namespace)
    .filter((s) => selects(s.spec.selector, pod.metadata?.labels))
    .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""))[0];
}

/**
 * The MCPServers a pod's `latticeguard.dev/connect` annotation names, in its order: each entry
 * `<name>` (in the pod's namespace) or `<namespace>/<name>`; blank entries are skipped.
 *
 * @example
 * connectTargets(pod); // ["agents/planner-tools", "mcp/search"] for "planner-tools, mcp/search" in namespace agents
 */
export function connectTargets(pod: V1Pod): string[] {
  const value = pod.metadata?.annotations?.[CONNECT_ANNOTATION] ?? "";
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => (entry.includes("/") ? entry : `${pod.metadata?.namespace}/${entry}`));
}

/**
 * For `caller`'s pod, which no MCPServer selects: the first MCPServer its `latticeguard.dev/connect`
 * annotation names that admits the caller's SPIFFE ID; else `ClientNotAllowed` naming the servers that
 * exist but do not admit it, or `PodNotSelected` when it names none that exists.
 *
 * @example
 * connectingServer(caller, pod, servers.list(), "cluster.local"); // the MCPServer "mcp/search"
 */
export function connectingServer(
  caller: TokenPod,
  pod: V1Pod,
  servers: readonly MCPServer[],
  trustDomain: string,
): MCPServer | Refusal {
  const { namespace, serviceAccount } = caller;
  const spiffeId = workloadSpiffeId({ trustDomain, namespace, serviceAccount });
  const key = (s: MCPServer) => `${s.metadata.namespace}/${s.metadata.name}`;
  const byKey = new Map(servers.map((s) => [key(s), s]));
  const named = connectTargets(pod).flatMap((target) => byKey.get(target) ?? []);
  const admitting = named.find((s) => clientAllowed(clientRules(s), spiffeId, trustDomain));
  if (admitting) return admitting;
  const who = `pod "${namespace}/${caller.name}"`;
  if (named.length > 0)
    return refuse(
      "ClientNotAllowed",
      `${spiffeId} may not call MCPServer ${named.map((s) => `"${key(s)}"`).join(", ")}: its spec.clients does not admit it`,
    );
  return refuse(
    "PodNotSelected",
    connectTargets(pod).length > 0
      ? `no MCPServer selects ${who}, and no MCPServer its ${CONNECT_ANNOTATION} annotation names exists`
      : `no MCPServer in namespace "${namespace}" selects pod "${caller.name}"`,
  );
}

/**
 * The signature algorithms a workload of `server` may hold under `resolution`; a client of `server`
 * (`role: "client"`) any its own policy allows.
 *
 * @example
 * allowedAlgorithms(server, resolution); // ["ML-DSA-65", "ML-DSA-87"]
 */
export function allowedAlgorithms(
  server: MCPServer,
  resolution: PolicyResolution,
  role: "server" | "client" = "server",
): SignatureAlgorithm[] {
  const { identityAlgorithms } = resolution.policy;
  const wanted = role === "server" ? server.spec.identity?.algorithm : undefined;
  return wanted && identityAlgorithms.includes(wanted) ? [wanted] : [...identityAlgorithms];
}

/**
 * Refuses an algorithm outside `allowed`, saying what is allowed and why.
 *
 * @example
 * checkAlgorithm("ML-DSA-44", ["ML-DSA-87"], resolution); // AlgorithmNotAllowed
 */
export function checkAlgorithm(
  algorithm: SignatureAlgorithm,
  allowed: readonly SignatureAlgorithm[],
  resolution: PolicyResolution,
): Refusal | undefined {
  if (allowed.includes(algorithm)) return undefined;
  if (allowed.length === 0)
    return refuse(
      "AlgorithmNotAllowed",
      `no identity algorithm is allowed: ${resolution.kind === "Conflict" ? resolution.message : "the policy allows none"}`,
    );
  return refuse(
    "AlgorithmNotAllowed",
    `the CSR's key is ${algorithm}; this workload may hold only ${allowed.join(", ")}`,
  );
}

/**
 * What a certificate will say.
 *
 * @example
 * const { spiffeId, dnsNames, notBefore, notAfter }: IdentityPlan = plan;
 */
export interface IdentityPlan {
  spiffeId: string;
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
}

/**
 * The certificate for `caller`, a workload of `server` (or, `role: "client"`, a client of it: no DNS
 * names), or `NoSigner` when the signer's validity leaves no time to issue in.
 *
 * @example
 * identityPlan({ caller, server, policy, trustDomain: "cluster.local", clusterDomain: "cluster.local", now, signer });
 */
export function identityPlan(input: {
  caller: TokenPod;
  server: MCPServer;
  policy: EffectivePolicy;
  trustDomain: string;
  clusterDomain: string;
  /** Default `server`. */
  role?: "server" | "client";
  /** The longest identity issued, whatever the policy says; it bounds the trust anchor's overlap. */
  maxTtlMs?: number;
  now: Date;
  signer: { notBefore: Date; notAfter: Date };
}): IdentityPlan | Refusal {
  const { caller, server, policy, now, signer } = input;
  const ttl = Math.min(policy.identityTtlMs, input.maxTtlMs ?? Infinity);
  const notBefore = Math.max(now.getTime() - BACKDATE_MS, signer.notBefore.getTime());
  const notAfter = Math.min(now.getTime() + ttl, signer.notAfter.getTime());
  if (notAfter <= now.getTime() || notBefore > now.getTime())
    return refuse("NoSigner", "the signing trust anchor is not valid now; try again later");
  const service = server.spec.serviceName ?? server.metadata.name!;
  const ns = caller.namespace;
  return {
    spiffeId: workloadSpiffeId({
      trustDomain: input.trustDomain,
      namespace: ns,
      serviceAccount: caller.serviceAccount,
    }),
    dnsNames:
      input.role === "client"
        ? []
        : [
            service,
            `${service}.${ns}`,
            `${service}.${ns}.svc`,
            `${service}.${ns}.svc.${input.clusterDomain}`,
          ],
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  };
}

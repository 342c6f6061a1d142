/**
 * What an MCPServer should use under its namespace's policy, and the conditions that report it. Pure.
 *
 * The KEM: the server's own `spec.kem.algorithm` when the policy allows it; otherwise the algorithm of the
 * current active key while the policy still allows it (a changed preference order re-keys nobody); otherwise
 * the policy's preferred KEM. A narrowing the policy forbids is reported (`PolicyCompliant=False`) and the
 * policy wins: the server never holds a key of a forbidden algorithm longer than the re-key rate limit allows.
 * Under a policy conflict nothing is allowed, so keys keep rotating on their current algorithm.
 *
 * @example
 * const choice = chooseAlgorithms(server.spec, resolution, activeKey?.algorithm);
 */
import type { KemAlgorithm, SignatureAlgorithm } from "../api/algorithms.ts";
import type { Condition, MCPServer, MCPServerSpec } from "../api/types.generated.ts";
import type { ConditionUpdate } from "../kube/conditions.ts";
import { setConditions } from "../kube/conditions.ts";
import type { V1Pod } from "@kubernetes/client-node";
import type { EffectivePolicy, PolicyResolution } from "../policy/merge.ts";
import { selects } from "../policy/selector.ts";
import { podTransport } from "../policy/transport.ts";

/** A reason the server breaks its policy, for `PolicyCompliant=False`. */
export interface Violation {
  reason:
    | "PolicyConflict"
    | "KEMAlgorithmNotAllowed"
    | "IdentityAlgorithmNotAllowed"
    | "FalseTransportClaim";
  message: string;
}

/** The algorithms a server uses, and what about its spec breaks the policy. */
export interface AlgorithmChoice {
  kem: KemAlgorithm;
  identity: SignatureAlgorithm;
  violations: Violation[];
}

const policyNames = (r: PolicyResolution) =>
  r.policy.policies.length
    ? r.policy.policies.map((n) => `"${n}"`).join(", ")
    : "the default policy";

/** What in the server's spec (or in the policies themselves) breaks the policy. */
export function violations(spec: MCPServerSpec, resolution: PolicyResolution): Violation[] {
  if (resolution.kind === "Conflict")
    return [{ reason: "PolicyConflict", message: resolution.message }];
  const { policy } = resolution;
  const found: Violation[] = [];
  const wantKem = spec.kem?.algorithm;
  if (wantKem && !policy.kemAlgorithms.includes(wantKem)) {
    found.push({
      reason: "KEMAlgorithmNotAllowed",
      message:
        `\`spec.kem.algorithm\` ${wantKem} is not allowed by CryptoPolicy ${policyNames(resolution)}; ` +
        `allowed: ${policy.kemAlgorithms.join(", ")}. Using ${policy.kemAlgorithms[0]}.`,
    });
  }
  const wantIdentity = spec.identity?.algorithm;
  if (wantIdentity && !policy.identityAlgorithms.includes(wantIdentity)) {
    found.push({
      reason: "IdentityAlgorithmNotAllowed",
      message:
        `\`spec.identity.algorithm\` ${wantIdentity} is not allowed by CryptoPolicy ${policyNames(resolution)}; ` +
        `allowed: ${policy.identityAlgorithms.join(", ")}.`,
    });
  }
  return found;
}

/** Chooses the server's KEM and signature algorithms under `resolution`. */
export function chooseAlgorithms(
  spec: MCPServerSpec,
  resolution: PolicyResolution,
  activeAlgorithm: KemAlgorithm | undefined,
): AlgorithmChoice {
  const { policy } = resolution;
  const wantKem = spec.kem?.algorithm;
  const allowedKem = (a: KemAlgorithm | undefined): a is KemAlgorithm =>
    a !== undefined && (resolution.kind === "Conflict" || policy.kemAlgorithms.includes(a));
  const kem = [wantKem, activeAlgorithm, policy.kemAlgorithms[0]].find(allowedKem) ?? "ML-KEM-768";
  const wantIdentity = spec.identity?.algorithm;
  const identity =
    wantIdentity && policy.identityAlgorithms.includes(wantIdentity)
      ? wantIdentity
      : (policy.identityAlgorithms[0] ?? wantIdentity ?? "ML-DSA-65");
  return { kem, identity, violations: violations(spec, resolution) };
}

/** What the conditions are computed from. */
export interface ConditionInput {
  generation: number;
  hasActiveKey: boolean;
  activeAlgorithm: KemAlgorithm | undefined;
  wantedAlgorithm: KemAlgorithm;
  rekeyPending: boolean;
  violations: readonly Violation[];
}

/** `KeysReady`, `PolicyCompliant` and the summary `Ready`. */
export function serverConditions(
  existing: readonly Condition[] | undefined,
  input: ConditionInput,
  now: Date,
): Condition[] {
  const observedGeneration = input.generation;
  const keys: ConditionUpdate = !input.hasActiveKey
    ? {
        type: "KeysReady",
        status: "False",
        reason: "NoActiveKey",
        message: "No active KEM key yet",
        observedGeneration,
      }
    : input.rekeyPending && input.activeAlgorithm !== input.wantedAlgorithm
      ? {
          type: "KeysReady",
          status: "False",
          reason: "RekeyPending",
          message: `Waiting for the cluster-wide re-key rate limit to replace the ${input.activeAlgorithm} key with ${input.wantedAlgorithm}`,
          observedGeneration,
        }
      : {
          type: "KeysReady",
          status: "True",
          reason: "KeysRotating",
          message: `The active ${input.activeAlgorithm} key rotates on schedule`,
          observedGeneration,
        };
  const first = input.violations[0];
  const policy: ConditionUpdate = first
    ? {
        type: "PolicyCompliant",
        status: "False",
        reason: first.reason,
        message: input.violations.map((v) => v.message).join(" "),
        observedGeneration,
      }
    : {
        type: "PolicyCompliant",
        status: "True",
        reason: "Compliant",
        message: "The server's cryptography is allowed by its policy",
        observedGeneration,
      };
  const notReady = [keys, policy].find((c) => c.status !== "True");
  const ready: ConditionUpdate = notReady
    ? {
        type: "Ready",
        status: "False",
        reason: notReady.reason,
        message: notReady.message,
        observedGeneration,
      }
    : {
        type: "Ready",
        status: "True",
        reason: "Ready",
        message: "Keys are rotating under a satisfied policy",
        observedGeneration,
      };
  return setConditions(existing, [ready, keys, policy], now);
}

/**
 * `IdentityReady`: whether one of the server's pods holds an unexpired workload identity, from what the
 * issuance API records in `status.identity`. Informational: it does not count towards `Ready`, since a
 * server may have no pods yet.
 *
 * @example
 * conditions = identityCondition(conditions, server, Date.now());
 */
export function identityCondition(
  conditions: readonly Condition[],
  server: Pick<MCPServer, "metadata" | "status">,
  now: number,
): Condition[] {
  const identity = server.status?.identity;
  const notAfter = identity?.lastIssuedNotAfter
    ? Date.parse(identity.lastIssuedNotAfter)
    : undefined;
  const observedGeneration = server.metadata.generation ?? 0;
  const update: ConditionUpdate =
    notAfter === undefined
      ? {
          type: "IdentityReady",
          status: "False",
          reason: "NoIdentityIssued",
          message: "No pod has been issued a workload identity yet",
          observedGeneration,
        }
      : notAfter > now
        ? {
            type: "IdentityReady",
            status: "True",
            reason: "IdentityIssued",
            // No times here: the message must not change with every renewal, or status would too.
            message: `A pod holds a valid ${identity?.algorithm ?? "ML-DSA"} workload identity`,
            observedGeneration,
          }
        : {
            type: "IdentityReady",
            status: "False",
            reason: "IdentityExpired",
            message: "The last identity issued has expired: is the pods' agent running?",
            observedGeneration,
          };
  return setConditions(conditions, [update], new Date(now));
}

/**
 * What `status.pods` says: the pods the server selects, and how many have post-quantum transport,
 * through LatticeGuard's proxy sidecar (`proxied`: checked) or by claiming an allowed group (`claimed`);
 * `compliant` is both.
 *
 * @example
 * podCounts(pods.inNamespace("shop"), server.spec.selector, policy, proxyImage); // { selected: 3, compliant: 2, proxied: 1, claimed: 1 }
 */
export interface PodCounts {
  selected: number;
  compliant: number;
  proxied: number;
  claimed: number;
}

/**
 * Counts `pods` (of the server's namespace) for `status.pods`. `proxyImage` is the configured proxy
 * image: a sidecar of another image does not count.
 *
 * @example
 * podCounts(pods, { matchLabels: { app: "weather" } }, policy, "ghcr.io/latticeguard/latticeguard:0.1.0");
 */
export function podCounts(
  pods: readonly V1Pod[],
  selector: MCPServerSpec["selector"],
  policy: Pick<EffectivePolicy, "keyExchange">,
  proxyImage: string | undefined,
): PodCounts {
  const counts = { selected: 0, compliant: 0, proxied: 0, claimed: 0 };
  for (const pod of pods) {
    if (!selects(selector, pod.metadata?.labels)) continue;
    counts.selected++;
    const transport = podTransport(pod, policy, proxyImage);
    if (transport === "sidecar") counts.proxied++;
    if (transport === "claim") counts.claimed++;
  }
  counts.compliant = counts.proxied + counts.claimed;
  return counts;
}

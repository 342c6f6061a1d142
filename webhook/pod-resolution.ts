/**
 * The effective policy of a pod's namespace, remembered between reviews. Resolving it
 * ({@link resolvePolicy}: match every CryptoPolicy's selector, sort, intersect, parse durations) was a
 * third of a pod review's own CPU time in `bench/admission.ts`, and its inputs rarely change: the labels
 * of one namespace and the cluster's few CryptoPolicies.
 *
 * The last resolution is kept per namespace-labels object, with the policy objects it came from, and
 * reused only while the namespace's labels are the same object and the policies are the same objects in
 * the same order. Informer caches replace an object when it changes and never mutate it, so that is
 * exactly "nothing changed"; a fresh read before a denial brings new objects and resolves anew. Entries
 * are held weakly: a namespace object the cache drops takes its entry with it.
 *
 * @example
 * const resolution = resolutionFor(view.policies(), view.namespace("shop")?.metadata?.labels);
 */
import type { CryptoPolicy } from "../operator/api/types.generated.ts";
import { resolvePolicy, type PolicyResolution } from "../operator/policy/merge.ts";

const remembered = new WeakMap<
  object,
  { policies: readonly CryptoPolicy[]; resolution: PolicyResolution }
>();

const sameObjects = (a: readonly CryptoPolicy[], b: readonly CryptoPolicy[]) =>
  a.length === b.length && a.every((p, i) => p === b[i]);

/**
 * `resolvePolicy(policies, labels)`, reused while `labels` and `policies` are the same objects as last
 * time for these labels. The result is shared between reviews: read it, never change it.
 *
 * @example
 * resolutionFor(policies, labels) === resolutionFor(policies, labels); // true
 * resolutionFor([...policies, strict], labels); // resolved anew
 */
export function resolutionFor(
  policies: readonly CryptoPolicy[],
  labels: Readonly<Record<string, string>> | undefined,
): PolicyResolution {
  if (labels === undefined) return resolvePolicy(policies, labels);
  const last = remembered.get(labels);
  if (last && sameObjects(last.policies, policies)) return last.resolution;
  const resolution = resolvePolicy(policies, labels);
  remembered.set(labels, { policies: [...policies], resolution });
  return resolution;
}

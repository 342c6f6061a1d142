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
 * What is remembered does not depend on time: the step of an enforcement schedule in force is applied
 * to it at each review ({@link inForceAt}), from the review's own clock.
 *
 * @example
 * const resolution = resolutionFor(view.policies(), view.namespace("shop")?.metadata?.labels, now);
 */
import type { CryptoPolicy } from "../operator/api/types.generated.ts";
import { inForceAt, resolvePolicy, type PolicyResolution } from "../operator/policy/merge.ts";

const remembered = new WeakMap<
  object,
  { policies: readonly CryptoPolicy[]; resolution: PolicyResolution }
>();

const sameObjects = (a: readonly CryptoPolicy[], b: readonly CryptoPolicy[]) =>
  a.length === b.length && a.every((p, i) => p === b[i]);

/**
 * `resolvePolicy(policies, labels)` with the mode in force at `at` (epoch milliseconds), reused while `labels` and `policies` are the same objects as last
 * time for these labels. The result is shared between reviews: read it, never change it.
 *
 * @example
 * resolutionFor(policies, labels, now) === resolutionFor(policies, labels, now); // true
 * resolutionFor([...policies, strict], labels, now); // resolved anew
 */
export function resolutionFor(
  policies: readonly CryptoPolicy[],
  labels: Readonly<Record<string, string>> | undefined,
  at: number,
): PolicyResolution {
  return inForceAt(remembers(policies, labels), at);
}

function remembers(
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

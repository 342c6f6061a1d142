/**
 * Small readers of a validation's context that several validators share: the namespace an object is in
 * (and its labels, which select its CryptoPolicies), and whether an update changed some part of it.
 * Pure.
 *
 * @example
 * const { namespace, labels } = namespaceOf(context, object);
 */
import { isDeepStrictEqual } from "node:util";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Operation, ValidationContext } from "./types.ts";

/**
 * The object's metadata, or an empty one.
 *
 * @example
 * metadataOf(request.object).deletionTimestamp;
 */
export function metadataOf(object: unknown): NonNullable<KubernetesObject["metadata"]> {
  const metadata = (object as KubernetesObject | null | undefined)?.metadata;
  return typeof metadata === "object" && metadata !== null ? metadata : {};
}

/**
 * The namespace of the request and its labels; throws when there is none or the view does not know it
 * (the webhook then denies: fail closed).
 *
 * @example
 * namespaceOf(context, pod); // { namespace: "shop", labels: { tier: "restricted" } }
 */
export function namespaceOf(
  context: ValidationContext,
  object: unknown,
): { namespace: string; labels: Record<string, string> | undefined } {
  const namespace = context.namespace ?? metadataOf(object).namespace;
  if (!namespace) throw new TypeError("the request names no namespace");
  const ns = context.cluster.namespace(namespace);
  if (!ns) throw new Error(`namespace "${namespace}" is not known yet; try again`);
  return { namespace, labels: ns.metadata?.labels };
}

/**
 * Whether this is an UPDATE that leaves `part` of the object as it was.
 *
 * @example
 * unchangedBy("UPDATE", old, pod, (p) => p.metadata?.labels); // true when the labels did not change
 */
export function unchangedBy<T>(
  operation: Operation,
  oldObject: unknown,
  object: T,
  part: (o: T) => unknown,
): boolean {
  return (
    operation === "UPDATE" &&
    oldObject !== undefined &&
    oldObject !== null &&
    isDeepStrictEqual(part(oldObject as T), part(object))
  );
}

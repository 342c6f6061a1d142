/**
 * The JSON Patch that carries out an injection: the proxy first among the pod's init containers, its
 * volumes after the pod's own, the `latticeguard.dev/injected` annotation, and the
 * `latticeguard.dev/proxied: "true"` label that the chart's PodMonitor selects to scrape the proxy. Only
 * `add` operations, each valid whether or not the list or map exists yet (RFC 6902 `add` replaces a
 * missing member, and inserts into an array at an index or at its end, `-`). Pure.
 *
 * @example
 * const ops = injectionPatch(pod, plan); // [{ op: "add", path: "/spec/initContainers", value: [sidecar] }, …]
 */
import { INJECTED_ANNOTATION, PROXIED_LABEL } from "../operator/api/annotations.ts";
import type { InjectablePod, InjectionPlan } from "./injection.ts";

/**
 * One JSON Patch (RFC 6902) operation, as an AdmissionResponse carries them.
 *
 * @example
 * const op: PatchOperation = { op: "add", path: "/spec/volumes/-", value: volume };
 */
export interface PatchOperation {
  op: "add";
  path: string;
  value: unknown;
}

/** A JSON Pointer token (RFC 6901): `~` and `/` escaped. */
const pointer = (token: string) => token.replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * The `add` of `key: value` to the metadata map `map` (`annotations` or `labels`): into the map where the
 * pod has one, else the whole map. (`value` is typed as an object's name is: always set on a stored one.)
 */
function addToMetadata(
  pod: InjectablePod,
  map: "annotations" | "labels",
  key: string,
  value: string | undefined,
): PatchOperation {
  return pod.metadata?.[map]
    ? { op: "add", path: `/metadata/${map}/${pointer(key)}`, value }
    : { op: "add", path: `/metadata/${map}`, value: { [key]: value } };
}

/**
 * The JSON Patch that applies an `Inject` plan to `pod`: the sidecar first among the init containers,
 * the volumes after the pod's own, the `latticeguard.dev/injected` annotation and the
 * `latticeguard.dev/proxied` label. Only `add` operations, each valid whether or not the list or map
 * exists yet.
 *
 * @example
 * injectionPatch(pod, plan)[0]; // { op: "add", path: "/spec/initContainers", value: [sidecar] }
 */
export function injectionPatch(
  pod: InjectablePod,
  plan: Extract<InjectionPlan, { action: "Inject" }>,
): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (pod.spec?.initContainers?.length)
    ops.push({ op: "add", path: "/spec/initContainers/0", value: plan.container });
  else ops.push({ op: "add", path: "/spec/initContainers", value: [plan.container] });
  if (pod.spec?.volumes?.length)
    for (const volume of plan.volumes)
      ops.push({ op: "add", path: "/spec/volumes/-", value: volume });
  else ops.push({ op: "add", path: "/spec/volumes", value: plan.volumes });
  ops.push(addToMetadata(pod, "annotations", INJECTED_ANNOTATION, plan.server.metadata.name));
  ops.push(addToMetadata(pod, "labels", PROXIED_LABEL, "true"));
  return ops;
}

/**
 * Where each kind keeps the pods it makes. A Pod is its own template; Deployment, StatefulSet, DaemonSet,
 * ReplicaSet and Job keep one at `spec.template`; CronJob at `spec.jobTemplate.spec.template`. Admission
 * judges the template exactly as it would judge a pod (its labels, annotations and containers, in the
 * object's namespace), so `kubectl apply` of a Deployment fails at once instead of its pods failing later.
 * Pure.
 *
 * @example
 * const at = podTemplateOf("apps/v1/Deployment", deployment);
 * at?.path; // "spec.template"
 */
import type { PodShape } from "../operator/policy/exposure.ts";

/**
 * The key of a kind in the validator tables: `apiVersion/Kind` as objects spell it (`v1/Pod`,
 * `apps/v1/Deployment`).
 *
 * @example
 * gvkKey({ group: "apps", version: "v1", kind: "Deployment" }); // "apps/v1/Deployment"
 */
export function gvkKey(gvk: { group: string; version: string; kind: string }): string {
  return gvk.group ? `${gvk.group}/${gvk.version}/${gvk.kind}` : `${gvk.version}/${gvk.kind}`;
}

/**
 * The path of the pod template in each kind that makes pods; empty for a Pod itself.
 *
 * @example
 * POD_TEMPLATE_PATHS["batch/v1/CronJob"]; // ["spec", "jobTemplate", "spec", "template"]
 */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  "v1/Pod": [],
  "apps/v1/Deployment": ["spec", "template"],
  "apps/v1/StatefulSet": ["spec", "template"],
  "apps/v1/DaemonSet": ["spec", "template"],
  "apps/v1/ReplicaSet": ["spec", "template"],
  "batch/v1/Job": ["spec", "template"],
  "batch/v1/CronJob": ["spec", "jobTemplate", "spec", "template"],
};

/**
 * A pod template found in an object, with its dotted path (`""` for a Pod).
 *
 * @example
 * const at: PodTemplateAt = { path: "spec.template", template: { metadata: { labels }, spec } };
 */
export interface PodTemplateAt {
  path: string;
  template: PodShape;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * The pod template of `object`, a `kindKey` object; throws when the kind makes no pods or the object
 * has no template there (which the API server's own validation rules out).
 *
 * @example
 * podTemplateOf("batch/v1/CronJob", cronJob).path; // "spec.jobTemplate.spec.template"
 */
export function podTemplateOf(kindKey: string, object: unknown): PodTemplateAt {
  const path = POD_TEMPLATE_PATHS[kindKey];
  if (!path) throw new TypeError(`${kindKey} does not make pods`);
  let node: unknown = object;
  for (const [i, key] of path.entries()) {
    if (!isObject(node)) break;
    node = node[key];
    if (!isObject(node)) throw new TypeError(`\`${path.slice(0, i + 1).join(".")}\` must be set`);
  }
  if (!isObject(node)) throw new TypeError("the object must be a JSON object");
  const metadata = isObject(node.metadata) ? node.metadata : {};
  const spec = isObject(node.spec) ? node.spec : {};
  return { path: path.join("."), template: { metadata, spec } as PodShape };
}

/**
 * `field` inside the template at `path`.
 *
 * @example
 * templateField("spec.template", "metadata.labels"); // "spec.template.metadata.labels"
 */
export function templateField(path: string, field: string): string {
  return path ? `${path}.${field}` : field;
}

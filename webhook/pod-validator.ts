/**
 * The validator of Pods and of the pod templates of Deployment, StatefulSet, DaemonSet, ReplicaSet, Job
 * and CronJob: finds the template ({@link podTemplateOf}), applies the pod rule ({@link podFindings}) in
 * the object's namespace under its effective policy, and turns the violations into a verdict by the
 * policy's enforcement mode ({@link enforce}). A template is judged with the injection its pods will get
 * (a template the proxy will be injected into has post-quantum transport), and what injection will do
 * that its owner should know (an opt-out the policy refuses, a port that is not there) is a warning on
 * the template: warnings on the pods themselves, which controllers create, reach nobody. Pure, but for the effective policy it remembers per
 * namespace while nothing it depends on changes (pod-resolution.ts).
 *
 * Updates. An object being deleted is always admitted (finalizers must be removable). An update that does
 * not change what the rule reads is warned about, never denied (see enforcement.ts): for a Pod that is its
 * labels, annotations and container ports (the rest of a pod's spec hardly changes, and does not change
 * its endpoint); for a workload it is the whole template, because any template change rolls out new pods,
 * which the pod rule would refuse under `Enforce`: better to refuse the change itself, at `kubectl apply`.
 *
 * @example
 * const validate = podTemplateValidator("apps/v1/Deployment");
 * validate(deployment, undefined, "CREATE", context).errors;
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { PodShape } from "../operator/policy/exposure.ts";
import { proxyOnlySpec } from "../operator/policy/sidecar.ts";
import { metadataOf, namespaceOf, unchangedBy } from "./context.ts";
import { enforce } from "./enforcement.ts";
import { podFindings } from "./pod-decision.ts";
import { resolutionFor } from "./pod-resolution.ts";
import { podTemplateOf, templateField } from "./pod-templates.ts";
import type { ClusterView, Validator } from "./types.ts";

const POD = "v1/Pod";

/** What of a pod template the rule reads, for telling whether an update changed it. */
function checkedPart(kindKey: string, template: PodShape): unknown {
  if (kindKey !== POD) return template;
  const ports = (list: NonNullable<PodShape["spec"]>["containers"] | undefined) =>
    (list ?? []).map((c) => [c.name, c.restartPolicy, c.ports]);
  return [
    template.metadata?.labels,
    template.metadata?.annotations,
    ports(template.spec?.containers),
    ports(template.spec?.initContainers),
    // The proxy's image can be changed in place.
    proxyOnlySpec(template),
  ];
}

/**
 * The Event target for a namespace. Its Events are stored in the namespace itself (the API server accepts
 * an involved Namespace with a matching namespace), where `kubectl get events -n <ns>` shows them to the
 * namespace's users, who may not read `default`.
 *
 * @example
 * namespaceTarget(view, "shop"); // { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", namespace: "shop", uid } }
 */
export function namespaceTarget(view: ClusterView, namespace: string): KubernetesObject {
  const uid = view.namespace(namespace)?.metadata?.uid;
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, namespace, uid } };
}

/**
 * The validator for `kindKey` (`v1/Pod`, `apps/v1/Deployment`, …).
 *
 * @example
 * VALIDATORS["batch/v1/Job"] = podTemplateValidator("batch/v1/Job");
 */
export function podTemplateValidator(kindKey: string): Validator {
  const checked = (o: unknown) => checkedPart(kindKey, podTemplateOf(kindKey, o).template);
  return (object, oldObject, operation, context) => {
    const { template, path } = podTemplateOf(kindKey, object);
    const metadata = metadataOf(object);
    if (metadata.deletionTimestamp) return { errors: [], warnings: [] };
    const { namespace, labels } = namespaceOf(context, object);
    const resolution = resolutionFor(context.cluster.policies(), labels, context.now);
    const findings = podFindings({
      template,
      namespace,
      servers: context.cluster.servers(namespace),
      resolution,
      isTemplate: kindKey !== POD,
      injection: context.injection,
    });
    const name = context.name || metadata.name || `${metadata.generateName ?? ""}<generated>`;
    const subject = `${context.kind} "${name}"${path ? " (pod template)" : ""}`;
    const verdict = enforce({
      mode: resolution.policy.enforcement,
      violations: findings.violations.map((v) => ({ ...v, field: templateField(path, v.field) })),
      subject,
      target: findings.covering[0] ?? namespaceTarget(context.cluster, namespace),
      policies: resolution.policy.policies,
      eventKey: `${context.kind}/${metadata.generateName || name}`,
      preexisting: unchangedBy(operation, oldObject, object, checked),
    });
    const notes = findings.notes.map((n) => `${subject}: ${n}`);
    return {
      ...verdict,
      warnings: [...verdict.warnings, ...notes],
      ...(findings.transport && { transport: findings.transport }),
    };
  };
}

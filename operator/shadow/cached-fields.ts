/**
 * What the operator's informers keep of pods and Services for shadow discovery (classify.ts), and what
 * of them, changed, queues the shadow controller.
 *
 * Of a pod, the pod informer keeps what every reader needs (`cachedPodFields` in operator/informers.ts:
 * container ports by name and number, IP and phase among them). Of a Service: its metadata, selector and
 * ports (name, number, target port, `appProtocol`).
 *
 * @example
 * servicesInformer({ transform: shadowServiceFields });
 */
import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { MCP_PORT_ANNOTATION } from "../api/annotations.ts";
import { metadataOnly } from "../runtime/informer.ts";

/**
 * What the Service informer keeps of a Service.
 *
 * @example
 * new Informer<V1Service>(kc, { resource: { apiVersion: "v1", plural: "services" }, transform: shadowServiceFields });
 */
export function shadowServiceFields(service: V1Service): V1Service {
  const ports = (service.spec?.ports ?? []).map(({ name, port, targetPort, appProtocol }) => ({
    name,
    port,
    targetPort,
    appProtocol,
  }));
  const selector = service.spec?.selector;
  return { ...metadataOnly(service), spec: { ...(selector && { selector }), ports } };
}

/**
 * What the shadow controller reads of a pod.
 *
 * @example
 * shadowPodFingerprint(pod); // '[{"app":"web"},"",…]'
 */
export function shadowPodFingerprint(pod: V1Pod): string {
  const { metadata = {}, spec, status = {} } = pod;
  const ports = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].map(
    (c) => c.ports ?? [],
  );
  return JSON.stringify([
    metadata.labels ?? {},
    metadata.annotations?.[MCP_PORT_ANNOTATION] ?? "",
    String(metadata.deletionTimestamp ?? ""),
    [status.podIP ?? "", status.phase ?? ""],
    ports,
  ]);
}

/**
 * What the shadow controller reads of a Service.
 *
 * @example
 * shadowServiceFingerprint(service); // '[{"app":"web"},[…],""]'
 */
export function shadowServiceFingerprint(service: V1Service): string {
  return JSON.stringify([
    service.spec?.selector ?? {},
    service.spec?.ports ?? [],
    service.metadata?.annotations?.[MCP_PORT_ANNOTATION] ?? "",
    String(service.metadata?.deletionTimestamp ?? ""),
  ]);
}

/**
 * What the operator's informers keep of pods and Services for shadow discovery (classify.ts), and what
 * of them, changed, queues the shadow controller.
 *
 * Of a pod: each container's and restartable init container's ports (name and number only), its IP and
 * phase; merged into what the pod informer keeps for the other readers (operator/informers.ts). Of a
 * Service: its metadata, selector and ports (name, number, target port, `appProtocol`).
 *
 * @example
 * const cached = withShadowPodFields(issuerPodFields(pod), pod);
 * servicesInformer({ transform: shadowServiceFields });
 */
import type { V1Container, V1Pod, V1Service } from "@kubernetes/client-node";
import { MCP_PORT_ANNOTATION } from "../api/annotations.ts";
import { metadataOnly } from "../runtime/informer.ts";

/** Container ports reduced to name and number, merged into `kept`'s container of the same name. */
function mergePorts(kept: V1Container[] | undefined, from: V1Container[], init: boolean) {
  const out = (kept ?? []).map((c) => ({ ...c }));
  for (const c of from) {
    if (!c.ports?.length || (init && c.restartPolicy !== "Always")) continue;
    const ports = c.ports.map(({ name, containerPort }) => ({ name, containerPort }));
    const same = out.find((k) => k.name === c.name);
    if (same) same.ports = ports;
    else out.push({ name: c.name, ...(init && { restartPolicy: c.restartPolicy }), ports });
  }
  return out;
}

/**
 * `lean` (what the pod informer keeps otherwise) with the ports, IP and phase of `pod`.
 *
 * @example
 * withShadowPodFields({ metadata, spec: { serviceAccountName: "web" } }, pod).status; // { podIP: "10.1.2.3", phase: "Running" }
 */
export function withShadowPodFields(lean: V1Pod, pod: V1Pod): V1Pod {
  const containers = mergePorts(lean.spec?.containers, pod.spec?.containers ?? [], false);
  const initContainers = mergePorts(
    lean.spec?.initContainers,
    pod.spec?.initContainers ?? [],
    true,
  );
  const { podIP, phase } = pod.status ?? {};
  return {
    ...lean,
    spec: {
      ...lean.spec,
      containers,
      ...(initContainers.length > 0 && { initContainers }),
    },
    status: { ...(podIP && { podIP }), ...(phase && { phase }) },
  };
}

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

/**
 * Shadow MCP servers: pods and Services of one namespace that look like MCP but that no MCPServer
 * covers (docs/api.md, "Shadow MCP servers", is the user's version of these rules). Pure.
 *
 * A **pod** looks like MCP by the admission rules of operator/policy/exposure.ts, less the MCPServer
 * one: a port named `mcp` or `mcp-*` on a container or a restartable init container, or the
 * `latticeguard.dev/mcp-port` annotation. It is **covered** when an MCPServer of its namespace selects
 * it. Terminating pods and pods that finished (`Succeeded`, `Failed`) serve nothing and are skipped.
 *
 * A **Service** looks like MCP when a port has `appProtocol` `latticeguard.dev/mcp` (or the bare `mcp`
 * many charts write), a port is named `mcp` or `mcp-*`, or it carries `latticeguard.dev/mcp-port`. It
 * is **covered** when MCPServers of its namespace select every running pod its selector selects. A
 * Service that selects no running pod has nothing behind it and is skipped; one without a selector
 * (endpoints kept by hand, often outside the cluster) can never be covered and is always a shadow.
 *
 * Each shadow names where a probe can reach it: the pod's IP and MCP port, or for a Service the first
 * uncovered pod it selects (by name) and the pod port its `targetPort` names, and whether the port's
 * names, `appProtocol` or number hint at TLS (scheme.ts), so the probe tries TLS first.
 *
 * @example
 * shadowCandidates({ pods, services, servers }).map((c) => `${c.kind} ${c.name}`); // ["Pod web-0"]
 */
import type { V1Pod, V1Service, V1ServicePort } from "@kubernetes/client-node";
import { MCP_PORT_ANNOTATION } from "../api/annotations.ts";
import { MCP_APP_PROTOCOLS } from "../api/shadow.schema.ts";
import type { MCPServer } from "../api/types.generated.ts";
import { coveringServers, isMcpPortName, mcpExposure, portNumber } from "../policy/exposure.ts";
import { isEmptySelector, selects } from "../policy/selector.ts";
import { hintsTls } from "./scheme.ts";

/**
 * Why an object looks like MCP: a port's name, the annotation, or a Service port's `appProtocol`.
 *
 * @example
 * const why: ShadowReason = "PortName";
 */
export type ShadowReason = "PortName" | "Annotation" | "AppProtocol";

/**
 * A pod or Service that looks like MCP and that no MCPServer covers.
 *
 * @example
 * const c: ShadowCandidate = { kind: "Pod", namespace: "shop", name: "web-0", uid: "…", port: 8080, reason: "PortName", message: 'port "mcp" of container "web"', target: { host: "10.1.2.3", port: 8080, uid: "…" } };
 */
export interface ShadowCandidate {
  kind: "Pod" | "Service";
  namespace: string;
  name: string;
  uid: string;
  /** The port that looks like MCP (the Service's own port for a Service), when it has a number. */
  port?: number;
  reason: ShadowReason;
  message: string;
  /**
   * Where a probe reaches it (a pod's IP and port, and that pod's UID; `tlsHinted` when its port hints
   * at TLS); none when nothing says.
   */
  target?: { host: string; port: number; uid: string; tlsHinted?: true };
}

/**
 * The pods and Services of one namespace, and its MCPServers.
 *
 * @example
 * const ns: NamespaceObjects = { pods: pods.inNamespace("shop"), services: services.inNamespace("shop"), servers: servers.inNamespace("shop") };
 */
export interface NamespaceObjects {
  pods: readonly V1Pod[];
  services: readonly V1Service[];
  servers: readonly MCPServer[];
}

/**
 * Whether a pod can be serving: neither terminating nor finished (`Succeeded`, `Failed`). The one rule
 * of which pods are looked at, shared by shadow discovery and the CBOM's findings (cbom/findings.ts),
 * so both name the same uncovered MCP pods.
 *
 * @example
 * servingPod({ status: { phase: "Succeeded" } }); // false
 */
export function servingPod(pod: {
  metadata?: { deletionTimestamp?: Date | string };
  status?: { phase?: string };
}): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    pod.status?.phase !== "Succeeded" &&
    pod.status?.phase !== "Failed"
  );
}

/**
 * The number of a pod's container port named `name` (by the rule of `spec.port`, {@link portNumber}),
 * or the number itself when `name` is one, also written as a string (an annotation's value, a
 * Service's `targetPort`) and within 1–65535.
 *
 * @example
 * podPortNumber(pod, "mcp"); // 8080
 * podPortNumber(pod, "9000"); // 9000
 */
export function podPortNumber(pod: V1Pod, name: string | number | undefined): number | undefined {
  if (name === undefined || name === "") return undefined;
  if (typeof name === "number" || /^[0-9]+$/.test(name)) {
    const n = Number(name);
    return n >= 1 && n <= 65535 ? n : undefined;
  }
  return portNumber(pod, name);
}

/** The name of a pod's container port numbered `number`, if it has one. */
function containerPortName(pod: V1Pod, number: number): string | undefined {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return containers.flatMap((c) => c.ports ?? []).find((p) => p.containerPort === number)?.name;
}

const tlsHint = (hinted: boolean) => (hinted ? { tlsHinted: true as const } : {});

function podCandidate(namespace: string, pod: V1Pod): ShadowCandidate | undefined {
  const [first] = mcpExposure(pod, []);
  if (!first || first.kind === "MCPServer") return undefined;
  const port = podPortNumber(pod, first.kind === "Port" ? first.port : first.value);
  const host = pod.status?.podIP;
  const uid = pod.metadata?.uid ?? "";
  return {
    kind: "Pod",
    namespace,
    name: pod.metadata?.name ?? "",
    uid,
    ...(port !== undefined && { port }),
    ...(first.kind === "Port"
      ? {
          reason: "PortName" as const,
          message: `port "${first.port}" of container "${first.container}"`,
        }
      : {
          reason: "Annotation" as const,
          message: `annotation ${MCP_PORT_ANNOTATION}=${first.value}`,
        }),
    ...(host &&
      port !== undefined && {
        target: {
          host,
          port,
          uid,
          ...tlsHint(hintsTls({ names: [containerPortName(pod, port)], port })),
        },
      }),
  };
}

function serviceMcpPort(
  service: V1Service,
): { port: V1ServicePort; reason: ShadowReason; message: string } | undefined {
  const ports = service.spec?.ports ?? [];
  const byProtocol = ports.find((p) => MCP_APP_PROTOCOLS.includes(p.appProtocol ?? ""));
  if (byProtocol)
    return {
      port: byProtocol,
      reason: "AppProtocol",
      message: `port ${byProtocol.port} has appProtocol ${byProtocol.appProtocol}`,
    };
  const byName = ports.find((p) => isMcpPortName(p.name));
  if (byName) return { port: byName, reason: "PortName", message: `port "${byName.name}"` };
  const value = service.metadata?.annotations?.[MCP_PORT_ANNOTATION];
  if (value === undefined) return undefined;
  const annotated = ports.find((p) => p.name === value || String(p.port) === value) ?? ports[0];
  if (!annotated) return undefined;
  return {
    port: annotated,
    reason: "Annotation",
    message: `annotation ${MCP_PORT_ANNOTATION}=${value}`,
  };
}

function serviceCandidate(
  namespace: string,
  service: V1Service,
  pods: readonly V1Pod[],
  servers: readonly MCPServer[],
): ShadowCandidate | undefined {
  const mcp = serviceMcpPort(service);
  if (!mcp) return undefined;
  const base = {
    kind: "Service" as const,
    namespace,
    name: service.metadata?.name ?? "",
    uid: service.metadata?.uid ?? "",
    port: mcp.port.port,
    reason: mcp.reason,
  };
  const selector = service.spec?.selector;
  if (!selector || isEmptySelector({ matchLabels: selector }))
    return { ...base, message: `${mcp.message}; no selector, so no MCPServer can cover it` };
  const backing = pods.filter((p) => selects({ matchLabels: selector }, p.metadata?.labels));
  const uncovered = backing.filter(
    (p) => coveringServers(p.metadata?.labels, servers).length === 0,
  );
  if (uncovered.length === 0) return undefined;
  const message = `${mcp.message}; no MCPServer selects ${uncovered.length} of the ${backing.length} pod(s) it selects`;
  const target = serviceTarget(uncovered, mcp.port);
  return { ...base, message, ...(target && { target }) };
}

/** Where to probe a Service: its first uncovered pod with an IP, on the port `targetPort` names. */
function serviceTarget(uncovered: readonly V1Pod[], port: V1ServicePort) {
  const pod = uncovered
    .filter((p) => p.status?.podIP)
    .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""))[0];
  const number = pod && podPortNumber(pod, port.targetPort ?? port.port);
  if (!pod || number === undefined) return undefined;
  const hinted =
    hintsTls({
      names: [port.name, containerPortName(pod, number)],
      ...(port.appProtocol !== undefined && { appProtocol: port.appProtocol }),
      port: number,
    }) || hintsTls({ port: port.port });
  return {
    host: pod.status!.podIP!,
    port: number,
    uid: pod.metadata?.uid ?? "",
    ...tlsHint(hinted),
  };
}

/**
 * The shadow MCP servers of one namespace, pods before Services, each sorted by name.
 *
 * @example
 * shadowCandidates("shop", { pods, services, servers }).length; // 0 when MCPServers cover everything
 */
export function shadowCandidates(namespace: string, objects: NamespaceObjects): ShadowCandidate[] {
  const pods = objects.pods.filter(servingPod);
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  const fromPods = pods
    .filter((p) => coveringServers(p.metadata?.labels, objects.servers).length === 0)
    .map((p) => podCandidate(namespace, p))
    .filter((c) => c !== undefined)
    .sort(byName);
  const fromServices = objects.services
    .filter((s) => !s.metadata?.deletionTimestamp)
    .map((s) => serviceCandidate(namespace, s, pods, objects.servers))
    .filter((c) => c !== undefined)
    .sort(byName);
  return [...fromPods, ...fromServices];
}

/**
 * Which pods expose an MCP endpoint (DESIGN.md, "Admission"). A pod does when any of these holds:
 *
 * - an MCPServer in its namespace selects it;
 * - a container, or a restartable init container (a sidecar: `restartPolicy: Always`, which keeps
 *   running beside the main containers), has a port named `mcp` or `mcp-*`;
 * - it carries the `latticeguard.dev/mcp-port` annotation.
 *
 * An init container that runs to completion serves nothing, so its ports do not count. Ephemeral
 * containers (`kubectl debug`) are not looked at: the API server refuses `ports` on them, so they cannot
 * declare an endpoint, and they never change a pod's labels or annotations, which are what the other
 * rules read. Pure: admission asks it of pods and pod templates, and the operator can count the same pods.
 *
 * @example
 * mcpExposure({ metadata: { labels: { app: "weather" } }, spec }, servers);
 * // [{ kind: "MCPServer", name: "weather", field: "metadata.labels" }]
 */
import type { V1Container, V1PodSpec } from "@kubernetes/client-node";
import { MCP_PORT_ANNOTATION } from "../api/annotations.ts";
import type { MCPServer } from "../api/types.generated.ts";
import { selects } from "./selector.ts";

/**
 * A pod, or a pod template: what the exposure rules read.
 *
 * @example
 * const shape: PodShape = { metadata: deployment.spec.template.metadata, spec: deployment.spec.template.spec };
 */
export interface PodShape {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Pick<V1PodSpec, "containers" | "initContainers">;
}

/**
 * Why a pod counts as exposing an MCP endpoint, with the field (relative to the pod) that says so.
 *
 * @example
 * const reason: ExposureReason = { kind: "Port", container: "server", port: "mcp", field: "spec.containers[0].ports[0].name" };
 */
export type ExposureReason =
  | { kind: "MCPServer"; name: string; field: "metadata.labels" }
  | { kind: "Port"; container: string; port: string; field: string }
  | { kind: "Annotation"; value: string; field: string };

/**
 * Whether a container port name marks an MCP endpoint: `mcp`, or `mcp-` followed by more.
 *
 * @example
 * isMcpPortName("mcp-http"); // true
 * isMcpPortName("mcpx"); // false
 */
export function isMcpPortName(name: string | undefined): boolean {
  return name === "mcp" || (name !== undefined && name.startsWith("mcp-") && name.length > 4);
}

/**
 * An MCPServer's `spec.port` as a number for one pod: itself, or the number of the port of that name on
 * a container or a restartable init container (a native sidecar, such as the injected proxy); undefined
 * when the pod has none. The same rule for every reader: the injection webhook, the handshake probe,
 * `make dev`'s kubelet.
 *
 * @example
 * portNumber({ spec: { containers: [{ name: "s", ports: [{ name: "mcp", containerPort: 8443 }] }] } }, "mcp"); // 8443
 */
export function portNumber(pod: PodShape, port: number | string): number | undefined {
  if (typeof port === "number") return port;
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always");
  const ports = [...(pod.spec?.containers ?? []), ...sidecars].flatMap((c) => c.ports ?? []);
  return ports.find((p) => p.name === port)?.containerPort;
}

/**
 * The MCPServers among `servers` whose selector selects a pod with `labels`, sorted by name. The caller
 * passes only servers of the pod's namespace.
 *
 * @example
 * coveringServers({ app: "weather" }, serversInNamespace).map((s) => s.metadata.name); // ["weather"]
 */
export function coveringServers(
  labels: Readonly<Record<string, string>> | undefined,
  servers: readonly MCPServer[],
): MCPServer[] {
  return servers
    .filter((s) => selects(s.spec?.selector, labels))
    .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
}

function portReasons(
  containers: readonly V1Container[] | undefined,
  list: "containers" | "initContainers",
): ExposureReason[] {
  const found: ExposureReason[] = [];
  (containers ?? []).forEach((c, i) => {
    if (list === "initContainers" && c.restartPolicy !== "Always") return;
    (c.ports ?? []).forEach((p, j) => {
      if (isMcpPortName(p.name)) {
        const field = `spec.${list}[${i}].ports[${j}].name`;
        found.push({ kind: "Port", container: c.name, port: p.name!, field });
      }
    });
  });
  return found;
}

/**
 * Every reason a pod exposes an MCP endpoint; empty when it exposes none. `servers` are the MCPServers
 * of the pod's namespace.
 *
 * @example
 * mcpExposure(pod, servers).length > 0; // the pod must have post-quantum transport
 */
export function mcpExposure(pod: PodShape, servers: readonly MCPServer[]): ExposureReason[] {
  const reasons: ExposureReason[] = coveringServers(pod.metadata?.labels, servers).map((s) => ({
    kind: "MCPServer",
    name: s.metadata.name ?? "",
    field: "metadata.labels",
  }));
  reasons.push(...portReasons(pod.spec?.containers, "containers"));
  reasons.push(...portReasons(pod.spec?.initContainers, "initContainers"));
  const annotation = pod.metadata?.annotations?.[MCP_PORT_ANNOTATION];
  if (annotation !== undefined) {
    const field = `metadata.annotations[${MCP_PORT_ANNOTATION}]`;
    reasons.push({ kind: "Annotation", value: annotation, field });
  }
  return reasons;
}

/**
 * A short human phrase for an exposure reason, for admission messages.
 *
 * @example
 * describeExposure({ kind: "Port", container: "server", port: "mcp", field: "…" }); // 'port "mcp" of container "server"'
 */
export function describeExposure(reason: ExposureReason): string {
  switch (reason.kind) {
    case "MCPServer":
      return `MCPServer "${reason.name}" selects it`;
    case "Port":
      return `port "${reason.port}" of container "${reason.container}"`;
    case "Annotation":
      return `annotation ${MCP_PORT_ANNOTATION}=${reason.value}`;
  }
}

/**
 * The wire part of `make dev`: what the leader's handshake probe found at the calculator's pod (behind
 * the injected proxy), and the shadow MCP server it found at an unregistered pod, `mcp-demo/notes`,
 * where this process runs a real MCP server at the pod's own loopback address (`config/dev/`).
 *
 * @example
 * const shadow = await startDevShadowServer(core);
 * console.log((await describeWire(kc, shadow.address)).join("\n"));
 */
import { CustomObjectsApi, type CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { readMcpServerObject, readPolicyObject } from "./crd-objects.ts";
import { eventually } from "./dev-identity.ts";
import { containerPortNamed, freeLoopbackAddress, reportPodRunning } from "./kubelet.ts";
import { startStatelessToolsServer } from "./mcp-tools.ts";

const NAMESPACE = "mcp-demo";
const SHADOW_POD = "notes";
const POLICY = "dev-fast-rotation";

/**
 * Runs an MCP server (the official SDK's) for the unregistered pod `mcp-demo/notes` at an address of its
 * own, on the pod's `mcp` port, and reports the pod running there.
 */
export async function startDevShadowServer(core: CoreV1Api) {
  const pod = await core.readNamespacedPod({ name: SHADOW_POD, namespace: NAMESPACE });
  const port = containerPortNamed(pod, "mcp");
  const ip = await freeLoopbackAddress(port);
  const server = await startStatelessToolsServer("notes", { host: ip, port });
  await reportPodRunning(core, pod, ip);
  return { address: `${ip}:${port}`, close: () => server.close() };
}

/**
 * Waits for the handshake probe's verdict on MCPServer `calculator` and for shadow discovery to confirm
 * `mcp-demo/notes`; resolves with the lines `make dev` prints about both.
 */
export async function describeWire(kc: KubeConfig, shadowAddress: string): Promise<string[]> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const server = await eventually(
    "a handshake probe result for MCPServer calculator",
    async () => {
      const s = await readMcpServerObject(custom, NAMESPACE, "calculator");
      return s.status?.transport?.result ? s : undefined;
    },
    90,
  );
  const t = server.status!.transport!;
  const verified = server.status?.conditions?.find((c) => c.type === "TransportVerified");
  const policy = await eventually(
    `shadow discovery's confirmation of ${SHADOW_POD}`,
    async () => {
      const p = await readPolicyObject(custom, POLICY);
      const found = p.status?.shadowServers?.servers?.find((s) => s.name === SHADOW_POD);
      return found?.state === "confirmed" ? p : undefined;
    },
    90,
  );
  const shadow = policy.status!.shadowServers!;
  return [
    "The leader's handshake probe connected to the calculator pod's address, as it does to every",
    "MCPServer's pods, once with post-quantum groups only and once with classical groups only:",
    `  TransportVerified=${verified?.status} (${verified?.reason}): ${t.result}, group ${t.group}, TLS ${t.tlsVersion},`,
    `  ${t.certificateAlgorithm} certificate of ${t.spiffeId}; classical-only handshakes accepted: ${t.downgradable ?? 0}`,
    "",
    `Shadow discovery found pod ${NAMESPACE}/${SHADOW_POD}: a port named mcp that no MCPServer covers. A real MCP`,
    `server answers at its address (${shadowAddress}), and the leader's MCP initialize probe confirmed it:`,
    `  CryptoPolicy ${POLICY}: ${shadow.count} shadow server(s), ${shadow.confirmed} confirmed (kubectl get cryptopolicies, SHADOW)`,
  ];
}

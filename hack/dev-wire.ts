/**
 * The wire part of `make dev`: what the leader's handshake probe found at the calculator's pod (behind
 * the injected proxy), and the shadow MCP server it found at an unregistered pod, `mcp-demo/notes`,
 * where this process runs a real MCP server at the pod's own loopback address (`config/dev/`).
 *
 * @example
 * const shadow = await startDevShadowServer(core);
 * console.log((await describeWire(kc, shadow.pod)).join("\n"));
 */
import type { CoreV1Api } from "@kubernetes/client-node";
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../operator/api/crd.ts";
import type { CryptoPolicy, MCPServer } from "../operator/api/types.generated.ts";
import { freeLoopbackAddress, reportPodRunning } from "./kubelet.ts";
import { startStatelessToolsServer } from "./mcp-tools.ts";

const NAMESPACE = "mcp-demo";
const SHADOW_POD = "notes";
const POLICY = "dev-fast-rotation";

/** Polls `get` until it returns a value, for up to `seconds`. */
async function waitFor<T>(what: string, seconds: number, get: () => Promise<T | undefined>) {
  for (const end = Date.now() + seconds * 1000; Date.now() < end;) {
    const value = await get().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} within ${seconds} s`);
}

/**
 * Runs an MCP server (the official SDK's) for the unregistered pod `mcp-demo/notes` at an address of its
 * own, on the pod's `mcp` port, and reports the pod running there.
 */
export async function startDevShadowServer(core: CoreV1Api) {
  const pod = await core.readNamespacedPod({ name: SHADOW_POD, namespace: NAMESPACE });
  const port = pod.spec!.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === "mcp")!;
  const ip = await freeLoopbackAddress(port.containerPort);
  const server = await startStatelessToolsServer("notes", { host: ip, port: port.containerPort });
  await reportPodRunning(core, pod, ip);
  return { address: `${ip}:${port.containerPort}`, close: () => server.close() };
}

/**
 * Waits for the handshake probe's verdict on MCPServer `calculator` and for shadow discovery to confirm
 * `mcp-demo/notes`; resolves with the lines `make dev` prints about both.
 */
export async function describeWire(kc: KubeConfig, shadowAddress: string): Promise<string[]> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const read = <T>(plural: string, name: string, namespace?: string) =>
    (namespace
      ? custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural,
          name,
        })
      : custom.getClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural,
          name,
        })) as Promise<T>;
  const server = await waitFor(
    "no handshake probe result for MCPServer calculator",
    90,
    async () => {
      const s = await read<MCPServer>("mcpservers", "calculator", NAMESPACE);
      return s.status?.transport?.result ? s : undefined;
    },
  );
  const t = server.status!.transport!;
  const verified = server.status?.conditions?.find((c) => c.type === "TransportVerified");
  const policy = await waitFor(`shadow discovery did not confirm ${SHADOW_POD}`, 90, async () => {
    const p = await read<CryptoPolicy>("cryptopolicies", POLICY);
    const found = p.status?.shadowServers?.servers?.find((s) => s.name === SHADOW_POD);
    return found?.state === "confirmed" ? p : undefined;
  });
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

/**
 * The proxy part of `make dev`: an MCP call from a client pod to a server pod, through the proxy the
 * mutating webhook injected. `config/dev/proxy/` has MCPServer `calculator` (`spec.proxy.mode:
 * Sidecar`, `spec.clients` admitting `mcp-agents/planner`), its Deployment, and the client pod `planner`
 * (`latticeguard.dev/connect: mcp-demo/calculator`). The kube-controller-manager creates the server's
 * pod, and the API server calls the webhook, so the stored pod carries the sidecar.
 *
 * No pod runs (no kubelet), so this process plays the kubelet: it takes the stored sidecar's args, puts
 * 127.0.0.1 and free ports in place of `$(POD_IP)` and the MCP port, writes the mounted files (tokens
 * bound to the real pods, the trust bundle of each pod's namespace, kept fresh), and runs the real
 * `latticeguard proxy` as child processes: inbound in front of a real MCP server on 127.0.0.1, outbound
 * (`--connect`) for the planner. A real MCP client then calls `initialize`, `tools/list` and
 * `tools/call` through the outbound proxy's local port.
 *
 * @example
 * const demo = new ProxyDemo(kc, kubeconfig);
 * const result = await demo.run();
 * console.log(describeProxyDemo(result, { running: true }).join("\n"));
 * await demo.stop();
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig, type V1Container, type V1Pod } from "@kubernetes/client-node";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { PROXY_CONTAINER } from "../operator/api/annotations.ts";
import { eventually } from "./dev-identity.ts";
import {
  containerPortNamed,
  freeLoopbackAddress,
  kubeletArgs,
  mountFlags,
  podToken,
  reportPodRunning,
  trustBundle,
  writeVolumeFile,
  type PodMounts,
} from "./kubelet.ts";
import { kubectl } from "./kubectl.ts";
import { startToolsServer, type ToolsServer } from "./mcp-tools.ts";
import { startProxyProcess, type ProxyProcess } from "./proxy-process.ts";
import { repoRoot } from "./tools.ts";

const SERVER = { namespace: "mcp-demo", name: "calculator", serviceAccount: "calculator" };
const CLIENT = { namespace: "mcp-agents", name: "planner", serviceAccount: "planner" };
/** The injected token volume's lifetime; a kubelet renews it at 80 %, and so does this process. */
const TOKEN_SECONDS = 3600;
const TOKEN_REFRESH_MINUTES = Math.round((TOKEN_SECONDS * 0.8) / 60);

/** What the demo showed: the injected sidecar, the MCP call's answer, and who spoke how. */
export interface ProxyDemoResult {
  /** The server pod as stored, and its injected sidecar. */
  pod: V1Pod;
  sidecar: V1Container;
  tools: string[];
  answer: string;
  /** Requests the inbound proxy carried. */
  requests: number;
  /** The TLS group the outbound proxy negotiated, and the server certificate it verified. */
  group: string;
  serverId: string;
  serverAlgorithm: string;
  /** The caller's SPIFFE ID, from the `x-forwarded-client-cert` the MCP server received. */
  clientId: string;
  inbound: ProxyProcess;
  outbound: ProxyProcess;
  /** The MCP server behind the inbound proxy. */
  mcpPort: number;
  /** The server pod's address, where the inbound proxy listens on the MCP port. */
  podIP: string;
}

/** Runs the demo; {@link ProxyDemo.stop} stops what it has started, whenever it is called. */
export class ProxyDemo {
  private readonly core: CoreV1Api;
  private readonly kubeconfig: string;
  private readonly proxies: ProxyProcess[] = [];
  private tools: ToolsServer | undefined;
  private dir: string | undefined;
  private kubelet: NodeJS.Timeout | undefined;
  private readonly refreshers: ((tokens: boolean) => Promise<void>)[] = [];
  private stopped = false;

  constructor(kc: KubeConfig, kubeconfig: string) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.kubeconfig = kubeconfig;
  }

  /** Applies `config/dev/proxy/` and makes the MCP call; returns what it showed. */
  async run(): Promise<ProxyDemoResult> {
    await kubectl(this.kubeconfig, ["apply", "-f", join(repoRoot, "config/dev/proxy")]);
    const pod = await eventually("the calculator Deployment's pod", async () => {
      const pods = await this.core.listNamespacedPod({
        namespace: SERVER.namespace,
        labelSelector: "app=calculator-mcp",
      });
      return pods.items[0];
    });
    const sidecar = pod.spec?.initContainers?.find((c) => c.name === PROXY_CONTAINER);
    if (!sidecar?.args) throw new Error(`the webhook injected no ${PROXY_CONTAINER} into the pod`);
    const planner = await this.core.readNamespacedPod(CLIENT);
    this.dir = await mkdtemp(join(tmpdir(), "latticeguard-dev-proxy-"));
    const serverMounts = await this.mount(pod, SERVER.serviceAccount);
    const clientMounts = await this.mount(planner, CLIENT.serviceAccount);
    this.keepMountsFresh();

    this.tools = await startToolsServer("latticeguard-dev-calculator");
    // The pod gets an address of its own, so the proxy listens on the pod's real MCP port, and the
    // operator's handshake probe finds it there through status.podIP, as in a cluster.
    const mcpPort = containerPortNamed(pod, "mcp");
    const podIP = await freeLoopbackAddress(mcpPort);
    const inbound = await this.startProxy(
      kubeletArgs(sidecar.args, {
        listen: `${podIP}:${mcpPort}`,
        upstream: `127.0.0.1:${this.tools.port}`,
        mounts: serverMounts,
      }),
    );
    await reportPodRunning(this.core, pod, podIP);
    // The planner's proxy, as a client pod would run it: the server's Service is the inbound proxy here.
    const issuer = sidecar.args.find((a) => a.startsWith("--issuer="))!;
    const outbound = await this.startProxy([
      `--connect=${SERVER.namespace}/${SERVER.name}`,
      "--listen=127.0.0.1:0",
      `--upstream=${podIP}:${inbound.port}`,
      issuer,
      ...mountFlags(clientMounts),
    ]);
    const call = await callThrough(outbound.port);
    const connected = outbound.logs.find((l) => l.msg === "Connected to MCP server");
    const clientId = /;URI=([^;,]+)/.exec(this.tools.callers[0] ?? "")?.[1];
    if (!connected || !clientId) throw new Error("the MCP call did not pass both proxies");
    return {
      pod,
      sidecar,
      ...call,
      requests: await inbound.metric("latticeguard_proxy_requests_total"),
      group: String(connected.group),
      serverId: String(connected.spiffeId),
      serverAlgorithm: String(connected.certificateAlgorithm),
      clientId,
      inbound,
      outbound,
      mcpPort: this.tools.port,
      podIP,
    };
  }

  /** Stops the proxies (SIGTERM: they drain and exit), the MCP server and the kubelet's part. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.kubelet);
    await Promise.all(this.proxies.map((p) => p.stop()));
    await this.tools?.close();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  private async startProxy(args: string[]): Promise<ProxyProcess> {
    const proxy = await startProxyProcess(args, { logLevel: "info" });
    this.proxies.push(proxy);
    if (this.stopped) await proxy.stop();
    return proxy;
  }

  /** Writes the pod's token and its namespace's trust bundle, and keeps both fresh as a kubelet does. */
  private async mount(pod: V1Pod, serviceAccount: string): Promise<PodMounts> {
    const namespace = pod.metadata!.namespace!;
    const dir = join(this.dir!, `${namespace}-${pod.metadata!.name}`);
    await mkdir(dir);
    const mounts = {
      tokenFile: join(dir, "token"),
      bundleFile: join(dir, "bundle.pem"),
      identityDir: join(dir, "identity"),
    };
    const writeToken = async () =>
      writeVolumeFile(
        mounts.tokenFile,
        await podToken(this.core, { serviceAccount, pod, expirationSeconds: TOKEN_SECONDS }),
      );
    const bundle = () => trustBundle(this.core, namespace);
    await writeVolumeFile(
      mounts.bundleFile,
      await eventually(`the trust bundle in ${namespace}`, bundle),
    );
    await writeToken();
    this.refreshers.push(async (tokenToo) => {
      const pem = await bundle();
      if (pem) await writeVolumeFile(mounts.bundleFile, pem);
      if (tokenToo) await writeToken();
    });
    return mounts;
  }

  /** Every minute the trust bundles, and the tokens at 80 % of their lifetime. */
  private keepMountsFresh(): void {
    let minutes = 0;
    this.kubelet = setInterval(() => {
      const tokens = ++minutes % TOKEN_REFRESH_MINUTES === 0;
      for (const refresh of this.refreshers) refresh(tokens).catch(() => undefined);
    }, 60_000);
    this.kubelet.unref();
  }
}

/** `initialize`, `tools/list` and `tools/call add {a: 2, b: 3}` with the MCP SDK's client. */
async function callThrough(port: number): Promise<{ tools: string[]; answer: string }> {
  const client = new Client({ name: "latticeguard-dev-planner", version: "1.0.0" });
  try {
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)),
    );
    const { tools } = await client.listTools();
    const result = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    const [first] = result.content as { type: string; text?: string }[];
    return { tools: tools.map((t) => t.name), answer: first?.text ?? JSON.stringify(first) };
  } finally {
    await client.close();
  }
}

/**
 * What `make dev` prints of the demo: the injected sidecar as stored, the MCP call and its answer, the
 * negotiated group, both SPIFFE IDs and, while the proxies run, where their metrics are. Pure.
 *
 * @example
 * console.log(describeProxyDemo(result, { running: !once }).join("\n"));
 */
export function describeProxyDemo(result: ProxyDemoResult, options: { running: boolean }) {
  const { pod, sidecar, inbound, outbound } = result;
  const index = pod.spec!.initContainers!.indexOf(sidecar);
  const metrics = (p: ProxyProcess, which: string) =>
    `  curl -s http://127.0.0.1:${p.metricsPort}/metrics | grep latticeguard_proxy_   # ${which}`;
  return [
    `MCPServer ${SERVER.namespace}/${SERVER.name} asks for the proxy (spec.proxy.mode: Sidecar). The replica-set`,
    `controller created pod ${SERVER.namespace}/${pod.metadata!.name}, and the mutating webhook injected:`,
    `  initContainers[${index}]: ${sidecar.name}, image ${sidecar.image}, args:`,
    ...sidecar.args!.map((arg) => `    ${arg}`),
    "No kubelet runs pods here, so this process ran those args, with a loopback address of the pod's own",
    "for $(POD_IP) (reported in its status.podIP), and the files a kubelet mounts (tokens bound to the",
    "pods, trust bundles):",
    `  inbound   ${result.podIP}:${inbound.port} -> the MCP server (MCP SDK) on 127.0.0.1:${result.mcpPort}`,
    `  outbound  127.0.0.1:${outbound.port}, for pod ${CLIENT.namespace}/${CLIENT.name} (--connect=${SERVER.namespace}/${SERVER.name})`,
    `An MCP client (MCP SDK) called initialize, tools/list (${result.tools.join(", ")}) and tools/call add`,
    `{a: 2, b: 3} on the outbound proxy's port; through both proxies (${result.requests} requests), the answer: ${result.answer}`,
    `  TLS group: ${result.group} (TLS 1.3, negotiated by the outbound proxy)`,
    `  server:    ${result.serverId} (${result.serverAlgorithm}, verified by the outbound proxy)`,
    `  client:    ${result.clientId} (x-forwarded-client-cert, as the MCP server saw it)`,
    ...(options.running
      ? ["Their metrics:", metrics(inbound, "inbound"), metrics(outbound, "outbound")]
      : []),
  ];
}

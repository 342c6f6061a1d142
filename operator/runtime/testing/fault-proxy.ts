/**
 * A TCP proxy in front of the API server that tests can cut, to break watches and renewals the way a
 * network partition or an API server restart does: open connections are reset and new ones refused
 * until `restore()`. TLS passes through untouched, so clients still verify the real server.
 * For integration tests only.
 *
 * @example
 * const proxy = await FaultProxy.start(kc);
 * const informer = new Informer(proxy.kubeConfig, options);
 * proxy.cut(); // the informer's watch fails; it retries with backoff
 * proxy.restore(); // it recovers
 * await proxy.close();
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

/**
 * A cuttable pass-through proxy to the current cluster of a KubeConfig.
 *
 * @example
 * const proxy = await FaultProxy.start(kubeConfig());
 * proxy.latencyMs = 1000; // every new connection is slow
 */
export class FaultProxy {
  /** A copy of the KubeConfig that reaches the API server through this proxy. */
  readonly kubeConfig: KubeConfig;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<Socket>();
  private down = false;
  /** Delay before each new connection is forwarded, to make requests slow. */
  latencyMs = 0;

  private constructor(server: Server, kubeConfig: KubeConfig) {
    this.server = server;
    this.kubeConfig = kubeConfig;
  }

  /** Listens on a free loopback port and forwards to `kc`'s current cluster. */
  static async start(kc: KubeConfig): Promise<FaultProxy> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("`kc` must have a current cluster");
    const target = new URL(cluster.server);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const proxied = new KubeConfig();
    proxied.loadFromOptions({
      clusters: kc.clusters.map((c) =>
        c.name === cluster.name ? { ...c, server: `${target.protocol}//127.0.0.1:${port}` } : c,
      ),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    const proxy = new FaultProxy(server, proxied);
    server.on("connection", (socket) => proxy.forward(socket, target));
    return proxy;
  }

  /** How many client connections are open through the proxy. */
  get connections(): number {
    return this.clients.size;
  }

  /** Resets every open connection and refuses new ones. */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Accepts connections again. */
  restore(): void {
    this.down = false;
  }

  /** Cuts and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket, target: URL): void {
    if (this.down) {
      client.destroy();
      return;
    }
    this.sockets.add(client);
    this.clients.add(client);
    client.on("error", () => client.destroy());
    client.once("close", () => {
      this.sockets.delete(client);
      this.clients.delete(client);
    });
    client.pause();
    setTimeout(() => this.pipe(client, target), this.latencyMs);
  }

  private pipe(client: Socket, target: URL): void {
    if (client.destroyed) return;
    const upstream = connect(Number(target.port || 443), target.hostname);
    this.sockets.add(upstream);
    upstream.once("close", () => this.sockets.delete(upstream));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.pipe(b);
      a.resume();
      a.on("error", () => b.destroy());
      a.on("close", () => b.destroy());
    }
  }
}

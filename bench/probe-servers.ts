/**
 * The probe benchmarks' loopback TLS 1.3 servers (operator/probe/testing.ts's `tlsEndpoint`), in a
 * child process of their own: in the benchmark's process they shared its event loop with the API
 * sampling and were part of what was measured. The child's pid lets the caller sample its CPU.
 *
 * @example
 * const servers = await probeServers(identity, 4, ["X25519MLKEM768"]);
 * servers.ports; // [40211, 40213, 40215, 40217]
 * await servers.close();
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tlsEndpoint } from "../operator/probe/testing.ts";

/**
 * Running servers: their ports, the child's pid, and how to stop them.
 *
 * @example
 * const { ports, pid, close }: ProbeServers = await probeServers(identity, 4, ["MLKEM1024"]);
 */
export interface ProbeServers {
  ports: number[];
  pid: number;
  close(): Promise<void>;
}

interface Order {
  certificate: string;
  keyPem: string;
  count: number;
  groups: string[];
}

const self = fileURLToPath(import.meta.url);

/**
 * Starts `count` servers offering `groups` with `identity`'s certificate in a child process.
 *
 * @example
 * await probeServers({ certificate, keyPem }, 4, ["X25519MLKEM768"]);
 */
export async function probeServers(
  identity: { certificate: string; keyPem: string },
  count: number,
  groups: readonly string[],
): Promise<ProbeServers> {
  const child = fork(self, ["--serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const order: Order = { ...identity, count, groups: [...groups] };
  child.send(order);
  const ports = await new Promise<number[]>((resolve, reject) => {
    child.once("message", (m) => resolve(m as number[]));
    child.once("exit", (code) => reject(new Error(`the probe servers exited (${code})`)));
  });
  return {
    ports,
    pid: child.pid!,
    close: async () => {
      child.kill();
      await exited;
    },
  };
}

if (process.argv[1] === self && process.argv.includes("--serve")) {
  // The benchmark died without closing us (a control plane that failed to start): go with it.
  process.once("disconnect", () => process.exit(0));
  process.once("message", (order: Order) => {
    void Promise.all(
      Array.from({ length: order.count }, () => tlsEndpoint({ ...order, groups: order.groups })),
    ).then((servers) => process.send!(servers.map((s) => s.port)));
  });
}

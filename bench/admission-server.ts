/**
 * One server of the admission benchmark, in a process of its own: the webhook's HTTPS stack (express, TLS
 * 1.3 preferring X25519MLKEM768, the body limit, the AdmissionReview codec, metrics, logging) in front of
 * either the real admission handler or a handler that allows everything. Each server has its own process
 * so that its costs (CPU, garbage collection) stay its own while both are loaded at once, and so that its
 * CPU time per review can be read from `process.cpuUsage()`.
 *
 * The real handler sees a cluster view over in-memory caches shaped like the informers': `namespaces`
 * namespaces labelled into two tiers (`ns-<i>`, even ones `tier: restricted`), a baseline `Audit` policy
 * and an `Enforce` one for the restricted tier, and `servers` MCPServers (`server-<i>` selecting
 * `app: server-<i>`) spread over the namespaces.
 *
 * @example
 * const server = await startServerProcess({ handler: "real", namespaces: 100, servers: 500 });
 * const before = await server.cpuMicros();
 * await server.close();
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { V1Namespace } from "@kubernetes/client-node";
import { pino } from "pino";
import type { CryptoPolicy, MCPServer } from "../operator/api/types.generated.ts";
import type { Cache } from "../operator/kube/cache.ts";
import { createMetrics } from "../operator/metrics.ts";
import { admission } from "../webhook/admit.ts";
import { cacheView } from "../webhook/cluster-view.ts";
import { serveWebhook } from "../webhook/server.ts";
import { mcpServer, namespace, policy } from "../webhook/testing/fixtures.ts";
import { loopbackCertificates } from "../webhook/testing/static-certificates.ts";
import type { AdmissionRequest, AdmissionResponse } from "../webhook/types.ts";
import { VALIDATORS } from "../webhook/validators.ts";

/** Which handler a server runs. */
export type BenchHandler = "real" | "allowAll";

/** What a server process serves. */
export interface ServerJob {
  handler: BenchHandler;
  namespaces: number;
  servers: number;
}

/** A running server process. */
export interface ServerProcess {
  port: number;
  /** The CA that signed its certificate (PEM). */
  ca: string;
  /** The process's user + system CPU time so far, in microseconds. */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

/** How many CryptoPolicies the benchmark cluster has. */
export const POLICY_COUNT = 2;

type FromChild = { port: number; ca: string } | { cpuMicros: number };
type ToChild = { cpu: true } | { close: true };

// An informer-shaped cache over fixed objects: `list()` copies, as the Informer's does, and
// `inNamespace` reads a per-namespace index, as the Informer's does.
function cache<T extends { metadata?: { name?: string; namespace?: string } }>(
  items: T[],
): Cache<T> & { inNamespace(namespace: string): T[] } {
  const byKey = new Map(
    items.map((o) => [[o.metadata?.namespace, o.metadata?.name].filter(Boolean).join("/"), o]),
  );
  const byNamespace = Map.groupBy(items, (o) => o.metadata?.namespace ?? "");
  return {
    get: (key: string) => byKey.get(key),
    list: () => [...byKey.values()],
    inNamespace: (namespace: string) => [...(byNamespace.get(namespace) ?? [])],
  };
}

/**
 * The handler a job asks for, over the benchmark cluster; also run in process, without HTTP, to time the
 * decision alone.
 *
 * @example
 * const handle = handlerFor({ handler: "real", namespaces: 100, servers: 500 });
 * await handle(request);
 */
export function handlerFor(
  job: ServerJob,
): (request: AdmissionRequest) => Promise<AdmissionResponse> {
  if (job.handler === "allowAll") return (r) => Promise.resolve({ uid: r.uid, allowed: true });
  const namespaces: V1Namespace[] = Array.from({ length: job.namespaces }, (_, i) =>
    namespace(`ns-${i}`, { tier: i % 2 ? "open" : "restricted" }),
  );
  const policies: CryptoPolicy[] = [
    policy("baseline", { enforcement: "Audit" }),
    policy("restricted", {
      enforcement: "Enforce",
      namespaceSelector: { matchLabels: { tier: "restricted" } },
      transport: { keyExchange: ["X25519MLKEM768", "MLKEM1024"] },
    }),
  ];
  const servers: MCPServer[] = Array.from({ length: job.servers }, (_, i) =>
    mcpServer(`ns-${i % job.namespaces}`, `server-${i}`, { app: `server-${i}` }),
  );
  const views = cacheView({
    namespaces: cache(namespaces),
    policies: cache(policies),
    servers: cache(servers),
  });
  return admission({
    validators: VALIDATORS,
    views: { cached: () => views, fresh: () => Promise.resolve(views) },
    metrics: createMetrics({ processMetrics: false }),
    log: pino({ level: "info" }, pino.destination("/dev/null")),
  });
}

async function serve(job: ServerJob): Promise<void> {
  const log = pino({ level: "info" }, pino.destination("/dev/null"));
  const { source, ca } = await loopbackCertificates();
  const metrics = createMetrics({ processMetrics: false });
  const handle = handlerFor(job);
  const server = await serveWebhook({
    host: "127.0.0.1",
    port: 0,
    handle,
    certificates: source,
    log,
    metrics,
  });
  process.on("message", (message: ToChild) => {
    if ("cpu" in message) {
      const { user, system } = process.cpuUsage();
      process.send!({ cpuMicros: user + system } satisfies FromChild);
    } else void server.close().then(() => process.exit(0));
  });
  process.send!({ port: server.port, ca: ca.cert } satisfies FromChild);
}

/**
 * Forks a server process for `job`; resolves once it listens.
 *
 * @example
 * const { port, ca } = await startServerProcess({ handler: "allowAll", namespaces: 100, servers: 500 });
 */
export function startServerProcess(job: ServerJob): Promise<ServerProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--serve"], {
    stdio: "inherit",
  });
  // Replies come in the order asked; an exit fails whoever still waits.
  const waiting: { resolve: (m: FromChild) => void; reject: (e: Error) => void }[] = [];
  child.on("message", (m) => waiting.shift()?.resolve(m as FromChild));
  child.once("exit", (code) => {
    for (const w of waiting.splice(0))
      w.reject(new Error(`the ${job.handler} server exited (${code})`));
  });
  const ask = (message: ToChild | ServerJob) =>
    new Promise<FromChild>((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.send(message);
    });
  return ask(job).then((first) => {
    if (!("port" in first)) throw new Error("the server process did not report its port");
    return {
      port: first.port,
      ca: first.ca,
      cpuMicros: () => ask({ cpu: true }).then((m) => ("cpuMicros" in m ? m.cpuMicros : NaN)),
      close: () =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.send({ close: true } satisfies ToChild);
        }),
    };
  });
}

// The server process: one job in, then CPU readings on request, until told to close.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "--serve") {
  process.once("message", (job: ServerJob) => void serve(job));
}

/**
 * Admission benchmark: HTTP load from a second process on loopback (autocannon, keep-alive connections,
 * TLS 1.3 with X25519MLKEM768) against two servers on the same stack in this process: express over HTTPS,
 * the JSON body limit, the AdmissionReview codec, metrics and logging. One server runs the real webhook
 * (validators, a cluster view over in-memory caches shaped like the informers', Events and metrics);
 * the other a trivial handler that allows everything. Both answer the same reviews in the same run, so the
 * ratio is the cost of the decision itself.
 *
 *   node bench/admission.ts [--duration=10] [--connections=16] [--namespaces=100] [--servers=500]
 *
 * Prints a Markdown table and the ratios; the numbers go into the report or BENCHMARKS.md with the
 * command that produced them.
 */
import { fork } from "node:child_process";
import { availableParallelism, cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import type { V1Namespace } from "@kubernetes/client-node";
import { pino } from "pino";
import type { CryptoPolicy, MCPServer } from "../operator/api/types.generated.ts";
import type { Cache } from "../operator/kube/cache.ts";
import { createMetrics } from "../operator/metrics.ts";
import { admission } from "../webhook/admit.ts";
import { cacheView } from "../webhook/cluster-view.ts";
import { serveWebhook, type WebhookServer } from "../webhook/server.ts";
import {
  admissionRequest,
  mcpServer,
  namespace,
  podBody,
  policy,
  workload,
} from "../webhook/testing/fixtures.ts";
import { loopbackCertificates } from "../webhook/testing/static-certificates.ts";
import type { AdmissionRequest } from "../webhook/types.ts";
import { VALIDATORS } from "../webhook/validators.ts";

/** What the load process runs and reports. */
interface LoadJob {
  url: string;
  body: string;
  duration: number;
  connections: number;
}
interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  errors: number;
  non2xx: number;
}

/** The `q` quantile of sorted samples. */
const quantile = (sorted: Float64Array, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function runLoad(job: LoadJob): Promise<LoadResult> {
  const options = {
    url: job.url,
    method: "POST" as const,
    headers: { "content-type": "application/json" },
    body: job.body,
    connections: job.connections,
  };
  await autocannon({ ...options, duration: 1 }); // warm-up: JIT, connections
  // autocannon's own histogram has 1 ms resolution; keep every response time (ms, float) instead.
  const samples: number[] = [];
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ ...options, duration: job.duration }, (error, result) =>
      error ? reject(error as Error) : resolve(result),
    );
    instance.on("response", (_client, _status, _bytes, ms) => samples.push(ms));
  });
  const sorted = Float64Array.from(samples).sort();
  return {
    rps: r.requests.average,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    total: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

// The load-generating child: one job in, one result out.
if (process.argv[2] === "--load") {
  process.once("message", (job: LoadJob) => {
    void runLoad(job).then((result) => {
      process.send!(result, () => process.exit(0));
    });
  });
} else {
  await main();
}

function cache<T extends { metadata?: { name?: string; namespace?: string } }>(
  items: T[],
): Cache<T> {
  const byKey = new Map(
    items.map((o) => [[o.metadata?.namespace, o.metadata?.name].filter(Boolean).join("/"), o]),
  );
  return { get: (key) => byKey.get(key), list: () => [...byKey.values()] };
}

function loadFrom(job: LoadJob): Promise<LoadResult> {
  const child = fork(fileURLToPath(import.meta.url), ["--load"], { stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.once("message", (result) => resolve(result as LoadResult));
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`the load process exited with ${code}`));
    });
    child.send(job);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "16" },
      namespaces: { type: "string", default: "100" },
      servers: { type: "string", default: "500" },
    },
  });
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const nsCount = Number(values.namespaces);
  const serverCount = Number(values.servers);

  // A cluster the size of the flags: namespaces labelled into two tiers, policies for each, and
  // MCPServers spread over the namespaces. The reviewed objects live in `ns-0`.
  const namespaces: V1Namespace[] = Array.from({ length: nsCount }, (_, i) =>
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
  const servers: MCPServer[] = Array.from({ length: serverCount }, (_, i) =>
    mcpServer(`ns-${i % nsCount}`, `server-${i}`, { app: `server-${i}` }),
  );
  const views = cacheView({
    namespaces: cache(namespaces),
    policies: cache(policies),
    servers: cache(servers),
  });

  const log = pino({ level: "info" }, pino.destination("/dev/null"));
  const metrics = createMetrics({ processMetrics: false });
  const { source } = await loopbackCertificates();
  const real = admission({
    validators: VALIDATORS,
    views: { cached: () => views, fresh: () => Promise.resolve(views) },
    metrics,
    log,
  });
  const allowAll = (request: AdmissionRequest) =>
    Promise.resolve({ uid: request.uid, allowed: true });
  const start = (handle: typeof real) =>
    serveWebhook({ host: "127.0.0.1", port: 0, handle, certificates: source, log, metrics });
  const endpoints: Record<"real" | "allowAll", WebhookServer> = {
    real: await start(real),
    allowAll: await start(allowAll),
  };

  const compliant = podBody({
    labels: { app: "server-0" },
    annotations: { "latticeguard.dev/transport": "X25519MLKEM768" },
  });
  const review = (object: Parameters<typeof admissionRequest>[0]) => {
    const request = admissionRequest(object);
    const body = JSON.stringify({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request,
    });
    return { request, body };
  };
  const scenarios = [
    { name: "Pod, compliant", ...review(workload("Pod", "web", "ns-0", compliant)) },
    { name: "Deployment, compliant", ...review(workload("Deployment", "web", "ns-0", compliant)) },
    {
      name: "Deployment, denied (Enforce)",
      ...review(workload("Deployment", "web", "ns-0", podBody({ labels: { app: "nobody" } }))),
    },
  ];
  // Check that the real webhook decides as expected before timing it.
  for (const s of scenarios) {
    const response = await real(s.request);
    if (response.allowed !== !s.name.includes("denied"))
      throw new Error(`unexpected decision for ${s.name}: ${JSON.stringify(response)}`);
  }

  const rows: string[] = [];
  const ratios: string[] = [];
  for (const s of scenarios) {
    const results: Partial<Record<keyof typeof endpoints, LoadResult>> = {};
    for (const which of ["allowAll", "real"] as const) {
      const url = `https://127.0.0.1:${endpoints[which].port}/validate`;
      const r = await loadFrom({ url, body: s.body, duration, connections });
      results[which] = r;
      const label = which === "real" ? "LatticeGuard webhook" : "allow-all handler";
      rows.push(
        `| ${s.name} | ${label} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.total} | ${r.errors + r.non2xx} |`,
      );
    }
    const ratio = results.real!.rps / results.allowAll!.rps;
    ratios.push(
      `- ${s.name}: the webhook sustains ${(ratio * 100).toFixed(0)}% of the allow-all throughput ` +
        `(p50 ${results.real!.p50.toFixed(2)} ms vs ${results.allowAll!.p50.toFixed(2)} ms, ` +
        `p99 ${results.real!.p99.toFixed(2)} ms vs ${results.allowAll!.p99.toFixed(2)} ms)`,
    );
  }
  await Promise.all(Object.values(endpoints).map((s) => s.close()));

  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `\nAdmission benchmark: ${duration} s per row after a 1 s warm-up, ${connections} keep-alive connections, ` +
      `TLS 1.3 X25519MLKEM768, load from a second process; cluster view: ${nsCount} namespaces, ` +
      `${serverCount} MCPServers, ${policies.length} CryptoPolicies. ${availableParallelism()} × ${cpu}, Node ${process.versions.node}.\n`,
  );
  console.log("| review | handler | req/s | p50 ms | p99 ms | requests | errors |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const row of rows) console.log(row);
  console.log(`\n${ratios.join("\n")}`);
}

/**
 * Reconcile benchmark against the real local control plane. The operator runs as a child process (as in
 * production: its own heap and event loop, measured from `/proc`), each run on a fresh control plane.
 *
 *   node bench/reconcile.ts [--servers=500] [--namespaces=10] [--mode=converge[,lateness]]
 *     [--period=1s] [--seconds=20] [--steady-seconds=30]
 *     [--lateness-period=1m] [--lateness-grace=20s] [--lateness-seconds=180]
 *     [--variant=label=dir[:operator flags[:node flags]]]… [--rounds=1] [--start=before|after]
 *     [--create-concurrency=32] [--cpu-prof=DIR] [--heap-snapshot=DIR] [--timeout=1200]
 *
 * - `converge`: the operator runs (caches synced) before the first MCPServer is created
 *   (`--start=after`: created first, then the operator starts); N servers are created across the
 *   namespaces with bounded concurrency over kept-alive connections; converged when the last one shows
 *   `KeysReady=True` (seen through a watch). Then `--steady-seconds` with nothing due, for the
 *   steady-state memory; then, unless `--seconds=0`, the policy's period becomes `--period` so every
 *   server is always due, and the scheduled rotations completed in `--seconds` are counted.
 * - `lateness`: the policy rotates every `--lateness-period` from the start; after convergence every
 *   rotation scheduled in the next `--lateness-seconds` is timed against its schedule (the status's
 *   `nextRotationTime` before the rotation): when the operator activated it (the time in the keyring)
 *   and when its status became visible to a watcher.
 * - `--variant` runs another tree's operator (a `git archive` of an earlier commit with `node_modules`
 *   linked) or other flags against an identical fresh control plane, so before/after numbers come from
 *   one run; `--rounds` repeats, alternating the order. `--cpu-prof` writes each operator's V8 CPU
 *   profile into DIR (`node bench/profile-top.ts` summarises one); `--heap-snapshot` writes a heap
 *   snapshot at the end of the steady phase.
 *
 * Prints Markdown tables; the numbers go into BENCHMARKS.md with the command that produced them.
 */
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { startControlPlane, type ControlPlane } from "../hack/control-plane.ts";
import { installCrds } from "../hack/kubectl.ts";
import { API_VERSION, GROUP, VERSION } from "../operator/api/crd.ts";
import type { MCPServer } from "../operator/api/types.generated.ts";
import { logger } from "../operator/log.ts";
import { Informer } from "../operator/runtime/informer.ts";
import { benchHeader } from "./environment.ts";
import {
  operatorComplaints,
  parseVariant,
  startOperatorChild,
  type OperatorChild,
  type Variant,
} from "./reconcile-operator.ts";
import {
  LatenessTracker,
  ProcessSampler,
  apiClient,
  apiCounts,
  apiDelta,
  httpGet,
  parseMetrics,
  sumOf,
  type ApiCounts,
} from "./reconcile-probes.ts";
import { PROCESSES, printReport, type RunResult } from "./reconcile-report.ts";
import { quantile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    servers: { type: "string", default: "500" },
    namespaces: { type: "string", default: "10" },
    mode: { type: "string", default: "converge" },
    period: { type: "string", default: "1s" },
    seconds: { type: "string", default: "20" },
    "steady-seconds": { type: "string", default: "30" },
    "lateness-period": { type: "string", default: "1m" },
    "lateness-grace": { type: "string", default: "20s" },
    "lateness-seconds": { type: "string", default: "180" },
    variant: { type: "string", multiple: true, default: [] },
    rounds: { type: "string", default: "1" },
    start: { type: "string", default: "before" },
    "create-concurrency": { type: "string", default: "32" },
    "cpu-prof": { type: "string" },
    "heap-snapshot": { type: "string" },
    timeout: { type: "string", default: "1200" },
  },
});
const servers = Number(values.servers);
const namespaces = Number(values.namespaces);
const modes = values.mode.split(",");
const concurrency = Number(values["create-concurrency"]);
if (!(servers > 0) || !(namespaces > 0) || !(concurrency > 0))
  throw new Error("`--servers`, `--namespaces` and `--create-concurrency` must be positive");
if (!["before", "after"].includes(values.start))
  throw new Error("`--start` must be before or after");
if (!modes.every((m) => m === "converge" || m === "lateness"))
  throw new Error("`--mode` must list converge and/or lateness");
const variants = (values.variant.length ? values.variant : ["current=."]).map(parseVariant);

logger.level = "error";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s = (ms: number) => (ms / 1000).toFixed(1);
type Api = ReturnType<typeof apiClient>;

async function must(what: string, p: Promise<{ status: number; body: string }>) {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

/** The CRDs, the operator's namespace, the `bench` policy and the namespaces. */
async function prepare(cp: ControlPlane, api: Api, period: string, grace: string): Promise<void> {
  await installCrds(cp.kubeconfigPath);
  const ns = (name: string) => api("POST", "/api/v1/namespaces", { metadata: { name } });
  await must("namespace", ns("latticeguard-system"));
  const policy = {
    apiVersion: API_VERSION,
    kind: "CryptoPolicy",
    metadata: { name: "bench" },
    spec: { kem: { algorithms: ["ML-KEM-768"], rotationPeriod: period, gracePeriod: grace } },
  };
  await must("policy", api("POST", `/apis/${GROUP}/${VERSION}/cryptopolicies`, policy));
  await Promise.all(
    Array.from({ length: namespaces }, (_, n) => must("namespace", ns(`bench-${n}`))),
  );
}

/** Creates the MCPServers with bounded concurrency; retries 429 and 5xx. Returns the retries. */
async function createServers(api: Api, createdAt: Map<string, number>): Promise<number> {
  let retries = 0;
  const queue = Array.from({ length: servers }, (_, i) => i);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const namespace = `bench-${i % namespaces}`;
        const body = {
          apiVersion: API_VERSION,
          kind: "MCPServer",
          metadata: { name: `s${i}`, namespace },
          spec: { selector: { matchLabels: { app: `s${i}` } }, port: "mcp" },
        };
        const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/mcpservers`;
        for (let attempt = 0; ; attempt++) {
          createdAt.set(`${namespace}/s${i}`, Date.now());
          const r = await api("POST", path, body);
          if (r.status < 300) break;
          if ((r.status !== 429 && r.status < 500) || attempt > 20)
            throw new Error(`create s${i}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
          retries++;
          await sleep(100 * (attempt + 1));
        }
      }
    }),
  );
  return retries;
}

/** One run of `mode` with `variant`'s operator on a fresh control plane. */
async function run(variant: Variant, mode: string, round: number): Promise<RunResult> {
  const tag = `${variant.label}-${mode}-${round}`;
  const say = (line: string) => process.stderr.write(`[${tag}] ${line}\n`);
  say("starting a control plane");
  const cp = await startControlPlane({ log: () => undefined });
  const api = apiClient({ server: cp.server, token: cp.adminToken, ca: cp.caPem, maxSockets: 32 });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const watched = new Informer<MCPServer>(kc, {
    resource: { apiVersion: API_VERSION, plural: "mcpservers" },
  });
  let op: OperatorChild | undefined;
  let sampler: ProcessSampler | undefined;
  try {
    const lateness = mode === "lateness";
    await prepare(
      cp,
      api,
      lateness ? values["lateness-period"] : "1h",
      lateness ? values["lateness-grace"] : "10m",
    );
    const apiMetrics = async () =>
      apiCounts(parseMetrics((await must("metrics", api("GET", "/metrics"))).body));
    const opMetrics = async () => parseMetrics((await httpGet(`${op!.metricsUrl}/metrics`)).body);

    // Readiness and rotation lateness, from a watch like any client's.
    const createdAt = new Map<string, number>();
    const readyAt = new Map<string, number>();
    const tracker = new LatenessTracker();
    watched.onChange((key, server) => {
      const now = Date.now();
      const conditions = server.status?.conditions ?? [];
      if (
        !readyAt.has(key) &&
        conditions.some((c) => c.type === "KeysReady" && c.status === "True")
      )
        readyAt.set(key, now);
      tracker.observe(key, server.status?.kem, now);
    });
    watched.start();
    await watched.whenSynced();

    const startOp = async () => {
      op = await startOperatorChild(variant, {
        kubeconfig: cp.kubeconfigPath,
        tag,
        cpuProfDir: values["cpu-prof"],
        heapSnapshotDir: values["heap-snapshot"],
      });
      sampler = new ProcessSampler({
        operator: op.pid,
        "kube-apiserver": cp.processes["kube-apiserver"].pid!,
        etcd: cp.processes.etcd.pid!,
      });
      sampler.start();
    };
    if (values.start === "before") await startOp();

    const apiBefore = await apiMetrics();
    const t0 = Date.now();
    sampler?.sample();
    const createRetries = await createServers(api, createdAt);
    const createMs = Date.now() - t0;
    say(`created ${servers} MCPServers in ${s(createMs)} s`);
    if (values.start === "after") await startOp();
    const deadline = Date.now() + Number(values.timeout) * 1000;
    let lastReport = Date.now();
    while (readyAt.size < servers) {
      if (Date.now() > deadline)
        throw new Error(`only ${readyAt.size} of ${servers} KeysReady after ${values.timeout} s`);
      if (op!.child.exitCode !== null) throw new Error(`the operator exited; see ${op!.logPath}`);
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        say(`${readyAt.size}/${servers} KeysReady after ${s(Date.now() - t0)} s`);
      }
      await sleep(100);
    }
    const convergeMs = Math.max(...readyAt.values()) - t0;
    sampler!.sample();
    const perServer = [...readyAt].map(([k, t]) => t - createdAt.get(k)!).sort((a, b) => a - b);
    const converge = apiDelta(apiBefore, await apiMetrics());
    const m = await opMetrics();
    say(`converged in ${s(convergeMs)} s`);

    const result: RunResult = {
      variant: variant.label,
      mode,
      createMs,
      convergeMs,
      readyP50Ms: quantile(perServer, 0.5),
      readyP99Ms: quantile(perServer, 0.99),
      reconciles: {
        mcpserver: sumOf(m, "latticeguard_reconcile_total", { controller: "mcpserver" }),
        cryptopolicy: sumOf(m, "latticeguard_reconcile_total", { controller: "cryptopolicy" }),
      },
      converge,
      convergeCpu: Object.fromEntries(
        PROCESSES.map((p) => [p, sampler!.cpuSeconds(p, t0, Date.now())]),
      ),
      peakRssMiB: 0,
      steadyRssMiB: NaN,
      steadyHeapMiB: NaN,
      steadyExternalMiB: NaN,
      createRetries,
      complaints: new Map(),
    };
    const phase: Phase = { api, apiMetrics, opMetrics, sampler: sampler!, op: op! };
    if (lateness) result.lateness = await latenessPhase(phase, tracker, watched);
    else await steadyAndSustained(phase, result);
    result.peakRssMiB = sampler!.peakRssMiB("operator");
    await op!.stop();
    result.complaints = operatorComplaints(op!.logPath);
    return result;
  } finally {
    sampler?.stop();
    await watched.stop();
    if (op && op.child.exitCode === null) op.child.kill("SIGKILL");
    api.close();
    await cp.stop();
  }
}

/** What the phases after convergence read through. */
interface Phase {
  api: Api;
  apiMetrics: () => Promise<ApiCounts>;
  opMetrics: () => Promise<ReturnType<typeof parseMetrics>>;
  sampler: ProcessSampler;
  op: OperatorChild;
}

/** Cores each process used between two times. */
const cpuShare = (sampler: ProcessSampler, from: number, to: number) =>
  Object.fromEntries(
    PROCESSES.map((p) => [p, sampler.cpuSeconds(p, from, to) / ((to - from) / 1000)]),
  );

/** Memory with nothing due; then every server always due, counting the rotations completed. */
async function steadyAndSustained(p: Phase, result: RunResult): Promise<void> {
  const steadyFrom = Date.now();
  await sleep(Number(values["steady-seconds"]) * 1000);
  result.steadyRssMiB = p.sampler.medianRssMiB("operator", steadyFrom + 5000, Date.now());
  const heap = await p.opMetrics();
  result.steadyHeapMiB = sumOf(heap, "latticeguard_nodejs_heap_size_used_bytes") / 2 ** 20;
  result.steadyExternalMiB = sumOf(heap, "latticeguard_nodejs_external_memory_bytes") / 2 ** 20;
  if (values["heap-snapshot"]) {
    p.op.child.kill("SIGUSR2");
    await sleep(20_000);
  }
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) return;
  const patch = { spec: { kem: { rotationPeriod: values.period, gracePeriod: "500ms" } } };
  const path = `/apis/${GROUP}/${VERSION}/cryptopolicies/bench`;
  await must("policy", p.api("PATCH", path, patch, "application/merge-patch+json"));
  await sleep(3_000);
  const rotated = async () =>
    sumOf(await p.opMetrics(), "latticeguard_kem_rotations_total", { reason: "Scheduled" });
  const before = await rotated();
  const writesBefore = await p.apiMetrics();
  const from = Date.now();
  p.sampler.sample();
  await sleep(seconds * 1000);
  p.sampler.sample();
  const rotations = (await rotated()) - before;
  const to = Date.now();
  result.sustained = {
    rotations,
    rotationsPerSecond: rotations / ((to - from) / 1000),
    writes: apiDelta(writesBefore, await p.apiMetrics()),
    cpuShare: cpuShare(p.sampler, from, to),
  };
}

/** Every rotation scheduled in the window after convergence, timed against its schedule. */
async function latenessPhase(
  p: Phase,
  tracker: LatenessTracker,
  watched: Informer<MCPServer>,
): Promise<NonNullable<RunResult["lateness"]>> {
  const writesBefore = await p.apiMetrics();
  const from = Date.now();
  p.sampler.sample();
  await sleep(Number(values["lateness-seconds"]) * 1000);
  const to = Date.now();
  p.sampler.sample();
  const writes = apiDelta(writesBefore, await p.apiMetrics());
  // Rotations due late in the window get 15 s to show; any still missing then are overdue.
  await sleep(15_000);
  const seen = tracker.scheduledIn(from, to);
  const overdue = watched.list().filter((server) => {
    const due = Date.parse(server.status?.kem?.nextRotationTime ?? "");
    return due >= from && due <= to;
  }).length;
  const lag = sumOf(await p.opMetrics(), "latticeguard_nodejs_eventloop_lag_p99_seconds");
  return {
    rotations: seen.length,
    perSecond: seen.length / ((to - from) / 1000),
    decided: seen.map((r) => r.decidedMs).sort((a, b) => a - b),
    visible: seen.map((r) => r.visibleMs).sort((a, b) => a - b),
    overdue,
    rssMiB: p.sampler.medianRssMiB("operator", from, to),
    peakRssMiB: p.sampler.peakRssMiB("operator", from, to),
    writes,
    cpuShare: cpuShare(p.sampler, from, to),
    loopLagP99Ms: lag * 1000,
    worst: tracker
      .latest(from, to, 5)
      .map((r) => ({ dueS: (r.due - from) / 1000, visibleMs: r.visibleMs })),
  };
}

const results: RunResult[] = [];
for (let round = 0; round < Number(values.rounds); round++)
  for (const mode of modes)
    for (const variant of round % 2 ? [...variants].reverse() : variants)
      results.push(await run(variant, mode, round));

console.log(benchHeader("Reconcile benchmark"));
printReport(results, {
  servers,
  namespaces,
  start: values.start,
  period: values.period,
  seconds: values.seconds,
  latenessPeriod: values["lateness-period"],
  latenessGrace: values["lateness-grace"],
  latenessSeconds: values["lateness-seconds"],
});

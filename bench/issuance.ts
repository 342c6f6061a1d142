/**
 * Issuance benchmark: identities per second, latency and the issuer's CPU time per identity of the real
 * issuance API against a real local control plane (hack/control-plane.ts: real TokenReviews, a real pods
 * informer and pod GETs), with load from another process: agents posting a token bound to one of the pods
 * and an ML-DSA-65 CSR, either over keep-alive connections or with a new TLS 1.3 connection per request
 * (X25519MLKEM768, the issuer's ML-DSA certificate), as agents renewing minutes apart make them.
 *
 * Each issuer runs in a process of its own (issuance-server.ts), from the tree a `--variant` names: this
 * checkout by default, or another tree (a `git archive` of an earlier commit with `node_modules` linked
 * in) so that before and after come from one run, on the same control plane, pods and tokens. The load
 * reuses a few tokens, so the issuer's memory of TokenReviews answers nearly every request; a variant's
 * `:reviewCacheMs` sets how long it remembers them (`:0`: every request reviewed, as when every agent
 * brings a token of its own minutes apart from the last).
 *
 * Signature backends. The X.509 layer (verifyCsr, issueCertificate) signs and verifies through node's
 * WebCrypto, that is OpenSSL: `signatureBackend` does not reach it. To measure issuance with noble, this
 * benchmark (and only it) routes WebCrypto's ML-DSA `sign` (for the anchor's key) and `verify` to
 * `nobleSignature` for `--backends=noble` rows (issuance-backends.ts). TLS handshakes stay in OpenSSL.
 *
 *   node bench/issuance.ts [--duration=10] [--rounds=2] [--connections=8] [--pods=10]
 *     [--variant=label=dir[:reviewCacheMs]]… [--clients=keep-alive,new] [--backends=native]
 *     [--cpu-prof=DIR]
 *
 * `--duration` is each row's measured time, split over `--rounds` rounds; each round runs every row
 * (variant × clients × backend), odd rounds in reverse order, so that load from elsewhere on the machine
 * falls on all of them. `--cpu-prof=DIR` writes each issuer's CPU profile under DIR/<label>/
 * (summarise it with bench/profile-top.ts).
 *
 * Prints the exact command and the machine first, then Markdown tables: the raw ML-DSA rates of each
 * backend (measured in the same run, before the load), then one row per variant, clients and backend:
 * identities issued per second, the raw sign rate of the anchor's algorithm (ML-DSA-87) measured for 1 s
 * just before each of the row's rounds (median), their ratio, latency and the issuer's CPU time per
 * identity (read from its own process: on a shared machine the least noisy measure of cost), and what
 * each identity cost kube-apiserver and etcd in CPU time (from `/proc`) and the load process itself: all
 * of them share the machine.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { Agent } from "node:https";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { startControlPlane } from "../hack/control-plane.ts";
import { createMcpServerObject, createPolicyObject } from "../hack/crd-objects.ts";
import { installCrds } from "../hack/kubectl.ts";
import { procSample } from "./reconcile-probes.ts";
import { createCsr, nativeSignature, type SignatureBackendName } from "../operator/crypto/index.ts";
import { DEFAULT_AUDIENCE } from "../operator/identity/issuer/issuer.ts";
import { postToIssuer } from "../operator/identity/issuer/test-client.ts";
import { benchHeader } from "./environment.ts";
import { rawRates, signRate87 } from "./issuance-backends.ts";
import type { ServerRequest, ServerStarted } from "./issuance-server.ts";
import { median, quantile } from "./stats.ts";

/** How load clients connect: one keep-alive connection per agent, or a new connection per request. */
type Clients = "keep-alive" | "new";

interface LoadJob {
  port: number;
  trust: string[];
  tokens: string[];
  csrs: string[];
  seconds: number;
  connections: number;
  clients: Clients;
}
interface LoadResult {
  /** Every response time (ms), answered or not. */
  latencies: number[];
  /** Measured seconds. */
  elapsed: number;
  statuses: Record<string, number>;
  /** The load process's own CPU time over the measured part, in microseconds. */
  clientCpuMicros: number;
}

/** The load process: `connections` loops posting until the deadline. */
async function runLoad(job: LoadJob): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const agent =
    job.clients === "keep-alive"
      ? new Agent({ keepAlive: true, maxSockets: job.connections })
      : undefined;
  let n = 0;
  const loop = async (until: number, record: boolean) => {
    while (Date.now() < until) {
      const i = n++;
      const started = performance.now();
      const r = await postToIssuer({
        port: job.port,
        trust: job.trust,
        token: job.tokens[i % job.tokens.length],
        body: job.csrs[i % job.csrs.length],
        ...(agent && { agent }),
      });
      if (!record) continue;
      latencies.push(performance.now() - started);
      const key = r.status ? String(r.status) : (r.error ?? "error");
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  const run = (seconds: number, record: boolean) => {
    const until = Date.now() + seconds * 1000;
    return Promise.all(Array.from({ length: job.connections }, () => loop(until, record)));
  };
  await run(1, false); // warm-up
  await new Promise<void>((resolve) => process.send!({ measuring: true }, () => resolve()));
  const started = performance.now();
  const cpu = process.cpuUsage();
  await run(job.seconds, true);
  const elapsed = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  agent?.destroy();
  return { latencies, elapsed, statuses, clientCpuMicros: user + system };
}

/** Runs `job` in a load process; `onMeasuring` is awaited when the warm-up ends and measuring starts. */
function loadFrom(job: LoadJob, onMeasuring: () => Promise<unknown>): Promise<LoadResult> {
  const child = fork(fileURLToPath(import.meta.url), ["--load"], { stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.on("message", (message: LoadResult | { measuring: true }) => {
      if ("measuring" in message) void onMeasuring();
      else resolve(message);
    });
    child.once("exit", (code) => code !== 0 && reject(new Error(`load process exited ${code}`)));
    child.send(job);
  });
}

/** An issuer child process and a way to ask it things. */
interface IssuerChild {
  label: string;
  child: ChildProcess;
  started: ServerStarted;
  ask<T>(request: ServerRequest): Promise<T>;
}

async function startIssuerChild(
  variant: { label: string; tree: string; reviewCacheMs?: number },
  kubeconfig: string,
  cpuProf: string | undefined,
): Promise<IssuerChild> {
  const { label, tree, reviewCacheMs } = variant;
  const dir = cpuProf && resolve(cpuProf, label);
  if (dir) mkdirSync(dir, { recursive: true });
  const child = fork(fileURLToPath(new URL("./issuance-server.ts", import.meta.url)), [], {
    cwd: tree,
    stdio: "inherit",
    execArgv: [...process.execArgv, ...(dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [])],
  });
  const ask = <T>(request: ServerRequest) =>
    new Promise<T>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`${label} issuer exited ${code}`));
      child.once("exit", exited);
      child.once("message", (answer) => {
        child.off("exit", exited);
        resolve(answer as T);
      });
      child.send(request);
    });
  const started = await ask<ServerStarted>({ type: "start", tree, kubeconfig, reviewCacheMs });
  return { label, child, started, ask };
}

/** Creates the namespace, policy, MCPServer, pods and their bound tokens; returns the tokens. */
async function createWorkloads(kc: KubeConfig, podCount: number): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const namespace = "bench";
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await createPolicyObject(custom, "bench", {
    identity: { algorithms: ["ML-DSA-65", "ML-DSA-87"], ttl: "1h" },
  });
  await createMcpServerObject(custom, namespace, "search", { app: "search" });
  const tokens: string[] = [];
  for (let i = 0; i < podCount; i++) {
    const sa = `search-${i}`;
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
    const pod = await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: sa, labels: { app: "search" } },
        spec: { serviceAccountName: sa, containers: [{ name: "c", image: "x" }] },
      },
    });
    const bound = { kind: "Pod", apiVersion: "v1", name: sa, uid: pod.metadata!.uid };
    const request = await core.createNamespacedServiceAccountToken({
      name: sa,
      namespace,
      body: {
        spec: { audiences: [DEFAULT_AUDIENCE], expirationSeconds: 3600, boundObjectRef: bound },
      },
    });
    if (!request.status?.token) throw new Error("TokenRequest returned no token");
    tokens.push(request.status.token);
  }
  return tokens;
}

interface Row {
  variant: string;
  clients: Clients;
  backend: SignatureBackendName;
}
interface Pooled extends LoadResult {
  cpuMicros: number;
  /** kube-apiserver's and etcd's CPU time over the measured part, in seconds. */
  apiCpuSeconds: number;
  /** The raw ML-DSA-87 sign rate measured just before each of the row's rounds. */
  signRates: number[];
}

const list = <T extends string>(text: string, allowed: readonly T[], name: string): T[] => {
  const items = text.split(",").filter(Boolean) as T[];
  const bad = items.filter((item) => !allowed.includes(item));
  if (items.length === 0 || bad.length > 0)
    throw new Error(`\`--${name}\` must list ${allowed.join(", ")}; got "${text}"`);
  return items;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "8" },
      rounds: { type: "string", default: "2" },
      pods: { type: "string", default: "10" },
      variant: { type: "string", multiple: true, default: [] },
      clients: { type: "string", default: "keep-alive,new" },
      backends: { type: "string", default: "native" },
      "cpu-prof": { type: "string" },
    },
  });
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  const podCount = Number(values.pods);
  const variants = (values.variant.length ? values.variant : ["current=."]).map((spec) => {
    const m = /^([^=]+)=([^:]+)(?::(\d+))?$/.exec(spec);
    if (!m) throw new Error(`\`--variant\` must be label=dir[:reviewCacheMs], got "${spec}"`);
    return {
      label: m[1]!,
      tree: resolve(m[2]!),
      ...(m[3] !== undefined && { reviewCacheMs: Number(m[3]) }),
    };
  });
  const clientModes = list<Clients>(values.clients, ["keep-alive", "new"], "clients");
  const backends = list<SignatureBackendName>(values.backends, ["native", "noble"], "backends");
  console.log(benchHeader("Issuance benchmark"));

  const raw = rawRates();

  const cp = await startControlPlane({ log: () => undefined });
  const issuers: IssuerChild[] = [];
  try {
    await installCrds(cp.kubeconfigPath);
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const tokens = await createWorkloads(kc, podCount);
    const csrs = await Promise.all(
      Array.from({ length: 20 }, () =>
        createCsr({
          key: { algorithm: "ML-DSA-65", seed: nativeSignature.generateSeed("ML-DSA-65") },
        }),
      ),
    );
    // The API server's and etcd's CPU time: what each identity costs the control plane.
    const apiCpu = () =>
      (["kube-apiserver", "etcd"] as const).reduce(
        (total, name) => total + (procSample(cp.processes[name].pid ?? -1)?.cpuSeconds ?? 0),
        0,
      );
    for (const variant of variants)
      issuers.push(await startIssuerChild(variant, cp.kubeconfigPath, values["cpu-prof"]));

    const rows: Row[] = variants.flatMap(({ label }) =>
      clientModes.flatMap((clients) =>
        backends.map((backend) => ({ variant: label, clients, backend })),
      ),
    );
    const pooled = new Map<Row, Pooled>(
      rows.map((row) => [
        row,
        {
          latencies: [],
          elapsed: 0,
          statuses: {},
          clientCpuMicros: 0,
          cpuMicros: 0,
          apiCpuSeconds: 0,
          signRates: [],
        },
      ]),
    );
    for (let round = 0; round < rounds; round++) {
      for (const row of round % 2 ? [...rows].reverse() : rows) {
        const issuer = issuers.find((i) => i.label === row.variant)!;
        await issuer.ask({ type: "backend", backend: row.backend });
        // The raw rate right beside the row, so that the ratio compares like with like on a busy machine.
        pooled.get(row)!.signRates.push(signRate87(row.backend, 1000));
        // The issuer's CPU time over the measured part, after the load's warm-up.
        let cpuBefore: Promise<NodeJS.CpuUsage> | undefined;
        let apiBefore = 0;
        const job = {
          port: issuer.started.port,
          trust: issuer.started.bundle,
          tokens,
          csrs,
          seconds: seconds / rounds,
          connections,
          clients: row.clients,
        };
        const r = await loadFrom(job, () => {
          apiBefore = apiCpu();
          return (cpuBefore = issuer.ask({ type: "cpu" }));
        });
        const apiAfter = apiCpu();
        const before = await cpuBefore!;
        const cpuAfter = await issuer.ask<NodeJS.CpuUsage>({ type: "cpu" });
        const p = pooled.get(row)!;
        p.latencies.push(...r.latencies);
        p.elapsed += r.elapsed;
        p.cpuMicros += cpuAfter.user + cpuAfter.system - (before.user + before.system);
        p.apiCpuSeconds += apiAfter - apiBefore;
        p.clientCpuMicros += r.clientCpuMicros;
        for (const [k, count] of Object.entries(r.statuses))
          p.statuses[k] = (p.statuses[k] ?? 0) + count;
      }
    }

    console.log(
      "Raw ML-DSA through the signature backends (`SIGNATURE_BACKENDS`), this run, before the load: one thread, 1 KiB message, 1 s per backend and operation in 5 rounds alternating the backends, median round:\n",
    );
    console.log("| backend | ML-DSA-65 sign/s | ML-DSA-87 sign/s | ML-DSA-65 verify/s |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const x of raw)
      console.log(
        `| ${x.backend} | ${Math.round(x.sign65)} | ${Math.round(x.sign87)} | ${Math.round(x.verify65)} |`,
      );
    console.log(
      `\nIssuance: ${seconds} s per row in ${rounds} rounds alternating the rows, each after a 1 s warm-up, ` +
        `${connections} concurrent agents from another process; ML-DSA-65 CSRs, ML-DSA-87 anchor; ${podCount} pods ` +
        `and their tokens, reused; the local kube-apiserver on the same machine. Every request was issued (200).\n`,
    );
    console.log(
      "| variant | clients | X.509 signature backend | identities/s | raw ML-DSA-87 sign/s beside it | ratio | p50 ms | p99 ms | issuer CPU ms per identity | API server + etcd CPU ms per identity | load CPU ms per identity | requests |",
    );
    console.log(
      "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const row of rows) {
      const { latencies, elapsed, statuses, cpuMicros, apiCpuSeconds, clientCpuMicros, signRates } =
        pooled.get(row)!;
      const ok = statuses["200"] ?? 0;
      if (ok !== latencies.length)
        throw new Error(
          `${row.variant} ${row.clients} ${row.backend}: not all issued: ${JSON.stringify(statuses)}`,
        );
      const sorted = latencies.sort((a, b) => a - b);
      const rate = ok / elapsed;
      const sign87 = median(signRates);
      const cells = [
        row.variant,
        row.clients,
        row.backend,
        rate.toFixed(1),
        Math.round(sign87),
        (rate / sign87).toFixed(2),
        quantile(sorted, 0.5).toFixed(1),
        quantile(sorted, 0.99).toFixed(1),
        (cpuMicros / 1000 / ok).toFixed(2),
        ((apiCpuSeconds * 1000) / ok).toFixed(2),
        (clientCpuMicros / 1000 / ok).toFixed(2),
        ok,
      ];
      console.log(`| ${cells.join(" | ")} |`);
    }
  } finally {
    await Promise.all(
      issuers.map(async (issuer) => {
        const exited = new Promise((r) => issuer.child.once("exit", r));
        issuer.child.send({ type: "stop" } satisfies ServerRequest);
        await exited;
      }),
    );
    await cp.stop();
  }
}

if (process.argv[2] === "--load") {
  process.once("message", (job: LoadJob) => {
    void runLoad(job).then((result) => process.send!(result, () => process.exit(0)));
  });
} else {
  await main();
}

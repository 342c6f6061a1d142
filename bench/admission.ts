/**
 * Admission benchmark: two servers on the webhook's own stack (express over HTTPS, TLS 1.3 preferring
 * X25519MLKEM768, the JSON body limit, the AdmissionReview codec, metrics, logging), each in a process of
 * its own (bench/admission-server.ts): one runs the real webhook (validators, a cluster view over
 * in-memory caches shaped like the informers', Events and metrics), the other a handler that allows
 * everything. Load comes from a third process (bench/load.ts) over keep-alive connections. Both handlers
 * answer the same reviews in the same run, so the ratios are the cost of the decision itself.
 *
 * Two modes, both by default:
 *
 * - fixed rate: `--rate` requests/s (default 500) to each server at once, evenly spaced and interleaved
 *   request by request, open loop, so whatever else runs on the machine hits both alike. Reports p50/p99
 *   per handler and the overhead p99(webhook) / p99(allow-all), checked against the target: p99 under
 *   5 ms at 500 requests/s on loopback, overhead under 1.5x. `--pacing=autocannon` uses autocannon's
 *   `overallRate` instead (two autocannon instances at once), which sends each second's requests in a
 *   burst at the start of the second: a different load, kept for comparison.
 * - maximum throughput: autocannon, closed loop, one server at a time, in `--rounds` rounds that
 *   alternate which goes first; requests/s per handler and their ratio.
 *
 * Both report each server's CPU time per review (its process's user + system time over the measured
 * seconds, divided by the reviews answered): on a shared machine, the least noisy measure of cost.
 *
 *   node bench/admission.ts [--duration=10] [--rounds=2] [--connections=16] [--rate=500]
 *     [--pacing=even|autocannon] [--mode=both|rate|max] [--namespaces=100] [--servers=500]
 *
 * `--duration` is the measured time per scenario and handler in each mode (split over the rounds at
 * maximum throughput), each run after a 1 s warm-up. Prints the command, the machine, Markdown tables and
 * the ratios; the numbers go into BENCHMARKS.md with the command that produced them.
 */
import { parseArgs } from "node:util";
import { admissionRequest, podBody, workload } from "../webhook/testing/fixtures.ts";
import { send } from "../webhook/testing/client.ts";
import type { AdmissionRequest } from "../webhook/types.ts";
import {
  POLICY_COUNT,
  handlerFor,
  startServerProcess,
  type BenchHandler,
  type ServerProcess,
} from "./admission-server.ts";
import { benchHeader } from "./environment.ts";
import { TABLE_HEAD, maxLine, rateLine, summarize, tableRow } from "./admission-report.ts";
import { loadFrom, type LoadJob, type TargetResult } from "./load.ts";

type Handler = BenchHandler;
const HANDLERS: readonly Handler[] = ["allowAll", "real"];
type Servers = Record<Handler, ServerProcess>;
type Job = Omit<LoadJob, "targets" | "duration">;

const urlOf = (server: ServerProcess) => `https://127.0.0.1:${server.port}/validate`;

/** Both handlers at `job.rate` each, at once, interleaved; one run of `duration` seconds. */
async function fixedRate(servers: Servers, job: Job, duration: number) {
  let before: Promise<number[]> = Promise.resolve([]);
  const r = await loadFrom(
    { ...job, targets: HANDLERS.map((h) => urlOf(servers[h])), duration },
    {
      onMeasuring: () => {
        before = Promise.all(HANDLERS.map((h) => servers[h].cpuMicros()));
      },
    },
  );
  const [start, end] = [
    await before,
    await Promise.all(HANDLERS.map((h) => servers[h].cpuMicros())),
  ];
  const measured = (i: number) => summarize([r.targets[i]!], duration, end[i]! - start[i]!);
  return { m: { allowAll: measured(0), real: measured(1) }, lagMs: r.maxLagMs ?? 0 };
}

/** One handler at a time at maximum throughput, `rounds` rounds alternating the order. */
async function maxThroughput(servers: Servers, job: Job, duration: number, rounds: number) {
  const runs = { allowAll: [] as TargetResult[], real: [] as TargetResult[] };
  const cpu = { allowAll: 0, real: 0 };
  for (let round = 0; round < rounds; round++) {
    for (const h of round % 2 ? [...HANDLERS].reverse() : HANDLERS) {
      let before: Promise<number> = Promise.resolve(0);
      const r = await loadFrom(
        { ...job, targets: [urlOf(servers[h])], duration: duration / rounds },
        {
          onMeasuring: () => {
            before = servers[h].cpuMicros();
          },
        },
      );
      cpu[h] += (await servers[h].cpuMicros()) - (await before);
      runs[h].push(r.targets[0]!);
    }
  }
  return {
    allowAll: summarize(runs.allowAll, duration, cpu.allowAll),
    real: summarize(runs.real, duration, cpu.real),
  };
}

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "10" },
      rounds: { type: "string", default: "2" },
      connections: { type: "string", default: "16" },
      rate: { type: "string", default: "500" },
      pacing: { type: "string", default: "even" },
      mode: { type: "string", default: "both" },
      namespaces: { type: "string", default: "100" },
      servers: { type: "string", default: "500" },
    },
  });
  const o = {
    duration: Number(values.duration),
    rounds: Number(values.rounds),
    connections: Number(values.connections),
    rate: Number(values.rate),
    pacing: values.pacing,
    mode: values.mode,
    namespaces: Number(values.namespaces),
    servers: Number(values.servers),
  };
  if (!["even", "autocannon"].includes(o.pacing))
    throw new RangeError("`--pacing` must be even or autocannon");
  if (!["both", "rate", "max"].includes(o.mode))
    throw new RangeError("`--mode` must be both, rate or max");
  if (!(o.duration > 0 && o.rounds >= 1 && o.connections >= 1 && o.rate >= 1))
    throw new RangeError("`--duration`, `--rounds`, `--connections` and `--rate` must be positive");
  return o;
}

/** The reviews, each in `ns-0`, and whether the webhook must allow it. */
function scenarios() {
  const compliant = podBody({
    labels: { app: "server-0" },
    annotations: { "latticeguard.dev/transport": "X25519MLKEM768" },
  });
  const review = (object: Parameters<typeof admissionRequest>[0]) =>
    JSON.stringify({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: admissionRequest(object),
    });
  const unselected = podBody({ labels: { app: "nobody" } });
  return [
    {
      name: "Pod, compliant",
      allowed: true,
      body: review(workload("Pod", "web", "ns-0", compliant)),
    },
    {
      name: "Deployment, compliant",
      allowed: true,
      body: review(workload("Deployment", "web", "ns-0", compliant)),
    },
    {
      name: "Deployment, denied (Enforce)",
      allowed: false,
      body: review(workload("Deployment", "web", "ns-0", unselected)),
    },
  ];
}

/**
 * The decision alone: CPU time per review of each handler called in this process, body parse included,
 * no HTTP, over `seconds` after a warm-up of a tenth of that.
 */
async function inProcess(
  o: { namespaces: number; servers: number },
  body: string,
  seconds: number,
) {
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const perReview = async (handler: Handler) => {
    const handle = handlerFor({ handler, ...o });
    const run = async (ms: number) => {
      let count = 0;
      const started = cpuMs();
      while (cpuMs() - started < ms) {
        for (let i = 0; i < 100; i++)
          await handle((JSON.parse(body) as { request: AdmissionRequest }).request);
        count += 100;
      }
      return ((cpuMs() - started) * 1000) / count;
    };
    await run(seconds * 100);
    return run(seconds * 1000);
  };
  return { allowAll: await perReview("allowAll"), real: await perReview("real") };
}

/** Checks that the real webhook decides each scenario as expected; the negotiated TLS, as seen. */
async function check(server: ServerProcess, list: ReturnType<typeof scenarios>): Promise<string> {
  let seen = "";
  for (const s of list) {
    const reply = await send({ port: server.port, ca: server.ca, body: s.body });
    const allowed = (reply.json as { response?: { allowed?: boolean } }).response?.allowed;
    if (reply.status !== 200 || allowed !== s.allowed)
      throw new Error(`unexpected answer for ${s.name}: ${reply.status} ${reply.text}`);
    seen = `${reply.protocol ?? "?"} ${reply.group ?? "?"}`;
  }
  return seen;
}

async function main(): Promise<void> {
  const o = options();
  const started = new Date();
  const cluster = { namespaces: o.namespaces, servers: o.servers };
  const servers: Servers = {
    allowAll: await startServerProcess({ handler: "allowAll", ...cluster }),
    real: await startServerProcess({ handler: "real", ...cluster }),
  };
  const list = scenarios();
  const tls = await check(servers.real, list);

  const rateShape = o.pacing === "even" ? ("rate" as const) : ("autocannon-rate" as const);
  const out = {
    rate: { rows: [] as string[], lines: [] as string[] },
    max: { rows: [] as string[], lines: [] as string[] },
  };
  let lag = 0;
  const decision: string[] = [];
  try {
    for (const s of list) {
      const alone = await inProcess(cluster, s.body, 1);
      decision.push(
        `| ${s.name} | ${alone.allowAll.toFixed(1)} | ${alone.real.toFixed(1)} | ${(alone.real - alone.allowAll).toFixed(1)} |`,
      );
      const common = { body: s.body, connections: o.connections };
      if (o.mode !== "max") {
        process.stderr.write(`${s.name} at ${o.rate}/s …\n`);
        const { m, lagMs } = await fixedRate(
          servers,
          { ...common, shape: rateShape, rate: o.rate },
          o.duration,
        );
        out.rate.rows.push(
          tableRow(s.name, "allowAll", m.allowAll),
          tableRow(s.name, "real", m.real),
        );
        out.rate.lines.push(rateLine(s.name, m));
        lag = Math.max(lag, lagMs);
      }
      if (o.mode !== "rate") {
        process.stderr.write(`${s.name} at maximum throughput …\n`);
        const m = await maxThroughput(servers, { ...common, shape: "max" }, o.duration, o.rounds);
        out.max.rows.push(
          tableRow(s.name, "allowAll", m.allowAll),
          tableRow(s.name, "real", m.real),
        );
        out.max.lines.push(maxLine(s.name, m));
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  }

  console.log(benchHeader("Admission benchmark", started));
  console.log(
    `Each server in its own process, load from a third; ${o.connections} keep-alive connections per ` +
      `server, negotiated ${tls}; ${o.duration} s measured per row after a 1 s warm-up; cluster view: ` +
      `${o.namespaces} namespaces, ${o.servers} MCPServers, ${POLICY_COUNT} CryptoPolicies.\n`,
  );
  const rateTitle =
    o.pacing === "even"
      ? `Fixed rate: ${o.rate} requests/s to each server at once, evenly spaced and interleaved, open ` +
        `loop; response times from when each request was due (the pacer ran at most ` +
        `${lag.toFixed(1)} ms late)`
      : `Fixed rate: ${o.rate} requests/s to each server at once by autocannon \`overallRate\` (each ` +
        `second's requests sent in one burst)`;
  const sections = [
    { show: o.mode !== "max", title: rateTitle, ...out.rate },
    {
      show: o.mode !== "rate",
      title: `Maximum throughput: autocannon, closed loop, one server at a time, ${o.rounds} rounds alternating the order`,
      ...out.max,
    },
  ];
  console.log(
    "### The decision alone: each handler called in one process, no HTTP (1 s per cell)\n",
  );
  console.log("| review | allow-all CPU µs/review | webhook CPU µs/review | decision µs |");
  console.log("| --- | ---: | ---: | ---: |");
  console.log(`${decision.join("\n")}\n`);
  for (const section of sections.filter((x) => x.show)) {
    console.log(`### ${section.title}\n`);
    console.log([...TABLE_HEAD, ...section.rows].join("\n"));
    console.log(`\n${section.lines.join("\n")}\n`);
  }
}

await main();

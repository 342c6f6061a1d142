/**
 * What one reconcile benchmark run measured, and the Markdown tables it is reported in.
 *
 * @example
 * printReport(results, { servers: 1000, namespaces: 100, start: "before", period: "1s", … });
 */
import { parseDuration } from "../operator/policy/duration.ts";
import { totalWrites, type ApiCounts } from "./reconcile-probes.ts";
import { quantile } from "./stats.ts";

/** The processes whose CPU and memory a run samples. */
export const PROCESSES = ["operator", "kube-apiserver", "etcd"] as const;

/**
 * One run: one operator variant, one mode, on a fresh control plane.
 *
 * @example
 * results.push(await run(variant, "converge", 0));
 */
export interface RunResult {
  variant: string;
  mode: string;
  createMs: number;
  /** From the first create to the last `KeysReady=True`. */
  convergeMs: number;
  /** Per server, from its create to its `KeysReady=True`. */
  readyP50Ms: number;
  readyP99Ms: number;
  reconciles: { mcpserver: number; cryptopolicy: number };
  converge: ApiCounts;
  /** CPU seconds of each process while converging. */
  convergeCpu: Record<string, number>;
  peakRssMiB: number;
  steadyRssMiB: number;
  /** V8 heap in use and external (Buffer) memory at the end of the steady phase. */
  steadyHeapMiB: number;
  steadyExternalMiB: number;
  createRetries: number;
  sustained?: {
    rotations: number;
    rotationsPerSecond: number;
    writes: ApiCounts;
    /** Cores used by each process. */
    cpuShare: Record<string, number>;
  };
  lateness?: {
    rotations: number;
    perSecond: number;
    /** Milliseconds late, sorted: when the operator activated the key, when its status was visible. */
    decided: number[];
    visible: number[];
    overdue: number;
    rssMiB: number;
    peakRssMiB: number;
    writes: ApiCounts;
    cpuShare: Record<string, number>;
    loopLagP99Ms: number;
    /** The latest rotations: seconds into the window they were due, and how late they were seen. */
    worst: { dueS: number; visibleMs: number }[];
  };
  complaints: Map<string, number>;
}

/** The settings the tables' captions name. */
export interface ReportSettings {
  servers: number;
  namespaces: number;
  start: string;
  period: string;
  seconds: string;
  latenessPeriod: string;
  latenessGrace: string;
  latenessSeconds: string;
}

const row = (cells: (string | number)[]) => console.log(`| ${cells.join(" | ")} |`);
const s = (ms: number) => (ms / 1000).toFixed(1);
const pct = (x: number) => `${Math.round(x * 100)}%`;
const mib = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(0));
const shares = (share: Record<string, number>) => PROCESSES.map((p) => pct(share[p]!)).join(" / ");

function convergeTable(results: readonly RunResult[], o: ReportSettings): void {
  console.log(
    `\nConverge: ${o.servers} MCPServers in ${o.namespaces} namespaces, the operator started ` +
      `${o.start} the first create.\n`,
  );
  row([
    "variant",
    "mode",
    "create (s)",
    "converge (s)",
    "per server p50 / p99 (s)",
    "reconciles mcpserver / cryptopolicy",
    "API writes (per server)",
    "429s",
    "CPU s operator / apiserver / etcd",
    "peak RSS (MiB)",
    "steady RSS (MiB)",
    "steady heap / external (MiB)",
  ]);
  row(Array<string>(12).fill("---"));
  for (const r of results)
    row([
      r.variant,
      r.mode,
      s(r.createMs),
      s(r.convergeMs),
      `${s(r.readyP50Ms)} / ${s(r.readyP99Ms)}`,
      `${r.reconciles.mcpserver} / ${r.reconciles.cryptopolicy}`,
      `${totalWrites(r.converge)} (${(totalWrites(r.converge) / o.servers).toFixed(2)})`,
      `${r.converge.throttled} (APF ${r.converge.apfRejected})`,
      PROCESSES.map((p) => r.convergeCpu[p]!.toFixed(0)).join(" / "),
      mib(r.peakRssMiB),
      mib(r.steadyRssMiB),
      `${mib(r.steadyHeapMiB)} / ${mib(r.steadyExternalMiB)}`,
    ]);
}

function sustainedTable(results: readonly RunResult[], o: ReportSettings): void {
  const demanded = o.servers / (parseDuration(o.period, "--period") / 1000);
  console.log(
    `\nSustained: rotation period ${o.period} (${demanded.toFixed(0)} rotations/s demanded), ` +
      `${o.seconds} s.\n`,
  );
  row(["variant", "rotations/s", "API writes per rotation", "CPU operator / apiserver / etcd"]);
  row(Array<string>(4).fill("---"));
  for (const r of results) {
    const x = r.sustained!;
    row([
      r.variant,
      x.rotationsPerSecond.toFixed(1),
      (totalWrites(x.writes) / Math.max(1, x.rotations)).toFixed(2),
      shares(x.cpuShare),
    ]);
  }
}

function latenessTable(results: readonly RunResult[], o: ReportSettings): void {
  console.log(
    `\nLateness: rotation period ${o.latenessPeriod}, grace ${o.latenessGrace}; every rotation ` +
      `scheduled in the ${o.latenessSeconds} s after convergence.\n`,
  );
  row([
    "variant",
    "rotations",
    "rotations/s",
    "activated late p50 / p99 / max (s)",
    "visible late p50 / p99 / max (s)",
    "overdue",
    "API writes/s",
    "RSS median / peak (MiB)",
    "CPU operator / apiserver / etcd",
    "event-loop lag p99 (ms)",
  ]);
  row(Array<string>(10).fill("---"));
  const q = (a: number[]) =>
    [0.5, 0.99, 1].map((p) => (quantile(a, p) / 1000).toFixed(2)).join(" / ");
  for (const r of results) {
    const x = r.lateness!;
    const seconds = Number(o.latenessSeconds);
    row([
      r.variant,
      x.rotations,
      x.perSecond.toFixed(1),
      q(x.decided),
      q(x.visible),
      x.overdue,
      (totalWrites(x.writes) / seconds).toFixed(0),
      `${mib(x.rssMiB)} / ${mib(x.peakRssMiB)}`,
      shares(x.cpuShare),
      x.loopLagP99Ms.toFixed(1),
    ]);
  }
}

function writeBreakdown(results: readonly RunResult[], o: ReportSettings): void {
  const list = (c: ApiCounts, per: number) =>
    [...c.writes]
      .sort()
      .map(([k, v]) => `${k} ${(v / per).toFixed(2)}`)
      .join(", ");
  console.log(
    "\nAPI writes while converging (per server), rotating (per rotation) and in the lateness " +
      "window (per rotation):\n",
  );
  for (const r of results) {
    if (r.mode === "converge")
      console.log(`- ${r.variant}, converge: ${list(r.converge, o.servers)}`);
    if (r.sustained)
      console.log(
        `- ${r.variant}, sustained: ${list(r.sustained.writes, Math.max(1, r.sustained.rotations))}`,
      );
    if (r.lateness)
      console.log(
        `- ${r.variant}, lateness: ${list(r.lateness.writes, Math.max(1, r.lateness.rotations))}`,
      );
    if (r.lateness?.worst.length) {
      const worst = r.lateness.worst.map(
        (w) => `${(w.visibleMs / 1000).toFixed(2)} s (due at +${w.dueS.toFixed(0)} s)`,
      );
      console.log(`- ${r.variant}, latest rotations: ${worst.join(", ")}`);
    }
    if (r.createRetries)
      console.log(`- ${r.variant}, ${r.mode}: ${r.createRetries} create retries`);
    if (r.complaints.size) {
      const lines = [...r.complaints].map(([k, v]) => `${k} ×${v}`).join("; ");
      console.log(`- ${r.variant}, ${r.mode}: operator warnings: ${lines}`);
    }
  }
}

/**
 * Prints every table that has rows: convergence (every run), sustained rotations, lateness, and the
 * API writes behind them.
 *
 * @example
 * printReport(results, settings);
 */
export function printReport(results: readonly RunResult[], settings: ReportSettings): void {
  if (results.length) convergeTable(results, settings);
  const sustained = results.filter((r) => r.sustained);
  if (sustained.length) sustainedTable(sustained, settings);
  const late = results.filter((r) => r.lateness);
  if (late.length) latenessTable(late, settings);
  writeBreakdown(results, settings);
}

/**
 * What the admission benchmark reports: one handler's measurements in one mode ({@link summarize} pools a
 * run's samples), the Markdown rows, and the verdicts against the target of issue 7: p99 under 5 ms at
 * 500 requests/s on loopback, and an overhead p99(webhook) / p99(allow-all) under 1.5x.
 *
 * @example
 * const m = { allowAll: summarize(runsA, 10, cpuA), real: summarize(runsB, 10, cpuB) };
 * console.log([...TABLE_HEAD, tableRow("Pod", "real", m.real)].join("\n"));
 * console.log(rateLine("Pod", m));
 */
import type { BenchHandler } from "./admission-server.ts";
import type { TargetResult } from "./load.ts";
import { median, quantile } from "./stats.ts";

type Handler = BenchHandler;

/**
 * The target the fixed-rate mode checks: p99 under 5 ms at 500 requests/s, under 1.5x the allow-all
 * handler's.
 *
 * @example
 * m.real.p99 < TARGET.p99Ms;
 */
export const TARGET = { p99Ms: 5, overhead: 1.5 };

/**
 * How the tables name each handler.
 *
 * @example
 * LABEL.real; // "LatticeGuard webhook"
 */
export const LABEL: Record<Handler, string> = {
  allowAll: "allow-all handler",
  real: "LatticeGuard webhook",
};

/**
 * One handler's measurements in one mode.
 *
 * @example
 * const m: Measured = summarize(runs, 10, cpuMicros);
 */
export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  /** The median over the measured seconds of each second's p99. */
  p99Second: number;
  total: number;
  errors: number;
  cpuUsPerReview: number;
}

/**
 * Pools the runs of one handler: requests per second over `duration`, latency quantiles, the median of
 * the per-second p99s, and CPU per review from `cpuUs` microseconds of server CPU time.
 *
 * @example
 * summarize([result.targets[0]!], 10, cpuAfter - cpuBefore).p99;
 */
export function summarize(runs: TargetResult[], duration: number, cpuUs: number): Measured {
  const sorted = Float64Array.from(runs.flatMap((r) => r.samples)).sort();
  return {
    rps: sorted.length / duration,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    p99Second: median(runs.flatMap((r) => r.windowP99)),
    total: sorted.length,
    errors: runs.reduce((n, r) => n + r.errors + r.non2xx, 0),
    cpuUsPerReview: cpuUs / Math.max(1, sorted.length),
  };
}

/**
 * One table row.
 *
 * @example
 * tableRow("Pod, compliant", "real", m.real); // "| Pod, compliant | LatticeGuard webhook | 500 | …"
 */
export function tableRow(scenario: string, which: Handler, m: Measured): string {
  const cells = [
    scenario,
    LABEL[which],
    Math.round(m.rps),
    m.p50.toFixed(2),
    m.p99.toFixed(2),
    m.p99Second.toFixed(2),
    Math.round(m.cpuUsPerReview),
    m.total,
    m.errors,
  ];
  return `| ${cells.join(" | ")} |`;
}

/**
 * The table's header lines.
 *
 * @example
 * console.log([...TABLE_HEAD, ...rows].join("\n"));
 */
export const TABLE_HEAD = [
  "| review | handler | req/s | p50 ms | p99 ms | p99 ms, median second | server CPU µs/review | requests | errors |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
];

const verdict = (ok: boolean) => (ok ? "**met**" : "**missed**");

/**
 * The fixed-rate verdict for one scenario: each half of the target, over the whole run and in the median
 * second. A p99 the allow-all handler misses as well says more about the machine than about the webhook;
 * the median second leaves out the seconds in which a neighbour stalled the machine.
 *
 * @example
 * rateLine("Pod, compliant", m); // "- Pod, compliant: p99 webhook 3.43 ms vs allow-all 3.80 ms …"
 */
export function rateLine(scenario: string, m: Record<Handler, Measured>): string {
  const { real, allowAll } = m;
  const overhead = real.p99 / allowAll.p99;
  const overheadSecond = real.p99Second / allowAll.p99Second;
  const alsoBaseline = allowAll.p99 < TARGET.p99Ms ? "" : " (the allow-all handler too)";
  const cpu = real.cpuUsPerReview / allowAll.cpuUsPerReview;
  return (
    `- ${scenario}: p99 webhook ${real.p99.toFixed(2)} ms vs allow-all ${allowAll.p99.toFixed(2)} ms ` +
    `(median second ${real.p99Second.toFixed(2)} vs ${allowAll.p99Second.toFixed(2)} ms). ` +
    `p99 < ${TARGET.p99Ms} ms: ${verdict(real.p99 < TARGET.p99Ms)} over the run` +
    `${real.p99 < TARGET.p99Ms ? "" : alsoBaseline}, ${verdict(real.p99Second < TARGET.p99Ms)} in the ` +
    `median second. Overhead p99(webhook)/p99(allow-all) < ${TARGET.overhead}x: ${overhead.toFixed(2)}x ` +
    `${verdict(overhead < TARGET.overhead)} over the run, ${overheadSecond.toFixed(2)}x ` +
    `${verdict(overheadSecond < TARGET.overhead)} in the median second. p50 ` +
    `${(real.p50 / allowAll.p50).toFixed(2)}x; server CPU per review ${cpu.toFixed(2)}x.`
  );
}

/**
 * The maximum-throughput comparison for one scenario.
 *
 * @example
 * maxLine("Pod, compliant", m); // "- Pod, compliant: the webhook sustains 74% of the allow-all throughput …"
 */
export function maxLine(scenario: string, m: Record<Handler, Measured>): string {
  const ratio = m.real.rps / m.allowAll.rps;
  const cpu = m.real.cpuUsPerReview / m.allowAll.cpuUsPerReview;
  return (
    `- ${scenario}: the webhook sustains ${(ratio * 100).toFixed(0)}% of the allow-all throughput ` +
    `(allow-all/webhook ${(1 / ratio).toFixed(2)}x; CPU per review ${cpu.toFixed(2)}x; p50 ` +
    `${m.real.p50.toFixed(2)} ms vs ${m.allowAll.p50.toFixed(2)} ms, p99 ${m.real.p99.toFixed(2)} ms ` +
    `vs ${m.allowAll.p99.toFixed(2)} ms)`
  );
}

/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `bench/reconcile.ts --cpu-prof=DIR`): where the
 * process spent its time, by function (self and total time) and by package, as Markdown tables.
 *
 *   node bench/profile-top.ts <file.cpuprofile> [--top=20]
 *
 * @example
 * node bench/profile-top.ts /tmp/prof/current-converge-0/CPU.20261121.cpuprofile --top=15
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

/** The parts of a `.cpuprofile` this reads. */
interface Profile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where a frame's code comes from: an npm package, a file of this repository, Node.js itself, or V8's
 * own bookkeeping ("(garbage collector)", "(idle)", "(program)").
 *
 * @example
 * origin("file:///repo/node_modules/@kubernetes/client-node/dist/cache.js", "get"); // "@kubernetes/client-node"
 */
export function origin(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  const repo = /\/(operator|webhook|bench|hack)\/(.*)$/.exec(url);
  return repo ? `${repo[1]}/${repo[2]}` : url;
}

/**
 * Self and total milliseconds by function and self milliseconds by origin.
 *
 * @example
 * const { functions, origins, totalMs } = summarise(JSON.parse(readFileSync(path, "utf8")));
 */
export function summarise(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (id: number) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const file = url.replace(/^.*\/(node_modules|operator|webhook|bench|hack)\//, "$1/");
    return `${functionName || "(anonymous)"} ${file ? `${file}:${lineNumber + 1}` : ""}`.trim();
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const origins = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const name = label(id);
    self.set(name, (self.get(name) ?? 0) + ms);
    const frame = byId.get(id)!.callFrame;
    const o = origin(frame.url, frame.functionName);
    origins.set(o, (origins.get(o) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
      seen.add(label(at));
    for (const f of seen) total.set(f, (total.get(f) ?? 0) + ms);
  });
  const functions = [...self.keys()].map((name) => ({
    name,
    selfMs: self.get(name) ?? 0,
    totalMs: total.get(name) ?? 0,
  }));
  return { functions, origins, total, totalMs };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: "string", default: "20" } },
  });
  const top = Number(values.top);
  for (const path of positionals) {
    const { functions, origins, total, totalMs } = summarise(
      JSON.parse(readFileSync(path, "utf8")) as Profile,
    );
    const busy = totalMs - (origins.get("(idle)") ?? 0);
    const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1)}%`;
    console.log(
      `\n${path}: ${(totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s busy\n`,
    );
    console.log("| self | origin |\n| ---: | --- |");
    for (const [o, ms] of [...origins].sort((a, b) => b[1] - a[1]).slice(0, top))
      if (o !== "(idle)") console.log(`| ${pct(ms)} | ${o} |`);
    console.log("\n| self | total | function |\n| ---: | ---: | --- |");
    for (const f of functions.sort((a, b) => b.selfMs - a.selfMs).slice(0, top))
      if (f.name !== "(idle)")
        console.log(`| ${pct(f.selfMs)} | ${pct(total.get(f.name) ?? 0)} | ${f.name} |`);
    console.log("\n| total | function (by total time) |\n| ---: | --- |");
    for (const [name, ms] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top))
      if (!name.startsWith("(")) console.log(`| ${pct(ms)} | ${name} |`);
  }
}

/**
 * What the reconcile benchmark measures with, outside the operator: processes' memory and CPU from
 * `/proc`, Prometheus text from `/metrics` (the operator's and the API server's), plain HTTPS requests to
 * the API server over kept-alive connections, and the lateness of each rotation read from MCPServer status.
 *
 * @example
 * const sampler = new ProcessSampler({ operator: child.pid!, "kube-apiserver": apiPid });
 * sampler.start();
 * const { rssMiB } = sampler.peak("operator");
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { request as httpRequest } from "node:http";

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * A process's resident memory and CPU time so far, from `/proc`; undefined once it has exited.
 *
 * @example
 * procSample(process.pid); // { rssBytes: 81264640, cpuSeconds: 0.42 }
 */
export function procSample(pid: number): { rssBytes: number; cpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssBytes: rssKiB * 1024, cpuSeconds: ticks / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** One sample of every watched process. */
interface Sample {
  at: number;
  rss: Record<string, number>;
  cpu: Record<string, number>;
}

/**
 * Samples watched processes every second, so phases can ask for peak and median memory and CPU use.
 *
 * @example
 * const sampler = new ProcessSampler({ operator: 4711 });
 * sampler.start();
 * const t0 = Date.now();
 * // … a phase …
 * sampler.cpuSeconds("operator", t0, Date.now());
 */
export class ProcessSampler {
  readonly samples: Sample[] = [];
  private readonly pids: Record<string, number>;
  private timer: NodeJS.Timeout | undefined;

  constructor(pids: Record<string, number>) {
    this.pids = { ...pids };
  }

  /** Starts sampling every `everyMs` (1 s by default). */
  start(everyMs = 1000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Takes a sample now (phases take one at their edges). */
  sample(): void {
    const s: Sample = { at: Date.now(), rss: {}, cpu: {} };
    for (const [name, pid] of Object.entries(this.pids)) {
      const p = procSample(pid);
      if (!p) continue;
      s.rss[name] = p.rssBytes;
      s.cpu[name] = p.cpuSeconds;
    }
    this.samples.push(s);
  }

  private within(from: number, to: number): Sample[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to);
  }

  /** The highest resident memory of `name` between two times (all samples by default), MiB. */
  peakRssMiB(name: string, from = 0, to = Infinity): number {
    const values = this.within(from, to).map((s) => s.rss[name] ?? 0);
    return Math.max(0, ...values) / 2 ** 20;
  }

  /** The median resident memory of `name` between two times, MiB. */
  medianRssMiB(name: string, from: number, to: number): number {
    const values = this.within(from, to)
      .map((s) => s.rss[name])
      .filter((v): v is number => v !== undefined)
      .sort((a, b) => a - b);
    return values.length ? values[values.length >> 1]! / 2 ** 20 : NaN;
  }

  /** CPU seconds `name` used between the first and last sample taken in [from, to]. */
  cpuSeconds(name: string, from: number, to: number): number {
    const inside = this.within(from, to).filter((s) => s.cpu[name] !== undefined);
    if (inside.length < 2) return NaN;
    return inside.at(-1)!.cpu[name]! - inside[0]!.cpu[name]!;
  }
}

/**
 * One Prometheus text exposition, parsed into samples: name, labels, value. Enough for counters and
 * gauges; histogram series come through under their `_bucket`, `_sum` and `_count` names.
 *
 * @example
 * const m = parseMetrics('a_total{x="1"} 3\n');
 * sumOf(m, "a_total", { x: "1" }); // 3
 */
export function parseMetrics(
  text: string,
): { name: string; labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * The sum of every sample named `name` whose labels include `labels`.
 *
 * @example
 * sumOf(parseMetrics(text), "latticeguard_reconcile_total", { controller: "mcpserver" });
 */
export function sumOf(
  metrics: ReturnType<typeof parseMetrics>,
  name: string,
  labels: Record<string, string> = {},
): number {
  return metrics
    .filter((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v))
    .reduce((total, m) => total + m.value, 0);
}

/**
 * Plain JSON requests to one API server over kept-alive connections (at most `maxSockets`), so that
 * creating thousands of objects costs no TLS handshake each.
 *
 * @example
 * const api = apiClient({ server, token, ca, maxSockets: 32 });
 * await api("POST", "/api/v1/namespaces", { metadata: { name: "bench-0" } });
 */
export function apiClient(options: {
  server: string;
  token: string;
  ca: string;
  maxSockets: number;
}) {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets, ca: options.ca });
  const call = (method: string, path: string, body?: unknown, contentType = "application/json") =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${options.server}${path}`, {
        method,
        agent,
        headers: {
          authorization: `Bearer ${options.token}`,
          accept: "application/json",
          ...(body !== undefined && { "content-type": contentType }),
        },
      });
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  return Object.assign(call, { close: () => agent.destroy() });
}

/**
 * The body of a plain-HTTP GET (the operator's `/metrics` and `/readyz`), with its status.
 *
 * @example
 * const { status } = await httpGet("http://127.0.0.1:8080/readyz");
 */
export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.end();
  });
}

/** What the API server served, from its `apiserver_request_total` and flow-control counters. */
export interface ApiCounts {
  /** Mutating requests by "VERB resource[/subresource]". */
  writes: Map<string, number>;
  /** Every request answered 429 Too Many Requests. */
  throttled: number;
  /** Requests rejected by API Priority and Fairness. */
  apfRejected: number;
  /** Every request, reads included. */
  all: number;
}

/**
 * Reads {@link ApiCounts} from the API server's own metrics.
 *
 * @example
 * const before = apiCounts(parseMetrics(text));
 */
export function apiCounts(metrics: ReturnType<typeof parseMetrics>): ApiCounts {
  const writes = new Map<string, number>();
  let throttled = 0;
  let all = 0;
  for (const m of metrics) {
    if (m.name !== "apiserver_request_total") continue;
    all += m.value;
    if (m.labels.code === "429") throttled += m.value;
    const { verb = "", resource = "", subresource = "" } = m.labels;
    if (!["POST", "PUT", "PATCH", "APPLY", "DELETE"].includes(verb)) continue;
    const key = `${verb} ${resource}${subresource ? `/${subresource}` : ""}`;
    writes.set(key, (writes.get(key) ?? 0) + m.value);
  }
  return {
    writes,
    throttled,
    apfRejected: sumOf(metrics, "apiserver_flowcontrol_rejected_requests_total"),
    all,
  };
}

/**
 * What happened between two readings of {@link apiCounts}.
 *
 * @example
 * const during = apiDelta(before, after);
 */
export function apiDelta(before: ApiCounts, after: ApiCounts): ApiCounts {
  const writes = new Map(
    [...after.writes]
      .map(([k, v]) => [k, v - (before.writes.get(k) ?? 0)] as [string, number])
      .filter(([, v]) => v > 0),
  );
  return {
    writes,
    throttled: after.throttled - before.throttled,
    apfRejected: after.apfRejected - before.apfRejected,
    all: after.all - before.all,
  };
}

/** The total of {@link ApiCounts.writes}. */
export const totalWrites = (c: ApiCounts) => [...c.writes.values()].reduce((a, b) => a + b, 0);

/**
 * Rotation lateness from MCPServer status as it is watched: when `status.kem.lastRotationTime` moves
 * forward, the rotation was scheduled at the `nextRotationTime` shown before it. Two latenesses per
 * rotation: decided (the activation time the operator recorded) and visible (when the new status reached
 * this watcher, after the Secret, the ConfigMap and the status were written).
 *
 * @example
 * const tracker = new LatenessTracker();
 * servers.onChange((key, server) => tracker.observe(key, server.status?.kem, Date.now()));
 */
export class LatenessTracker {
  readonly rotations: { key: string; due: number; decidedMs: number; visibleMs: number }[] = [];
  private readonly last = new Map<string, { activated: number; due: number }>();

  observe(
    key: string,
    kem: { lastRotationTime?: string; nextRotationTime?: string } | undefined,
    now: number,
  ): void {
    if (!kem?.lastRotationTime || !kem.nextRotationTime) return;
    const activated = Date.parse(kem.lastRotationTime);
    const due = Date.parse(kem.nextRotationTime);
    const before = this.last.get(key);
    this.last.set(key, { activated, due });
    if (!before || activated <= before.activated) return;
    this.rotations.push({
      key,
      due: before.due,
      decidedMs: activated - before.due,
      visibleMs: now - before.due,
    });
  }

  /** The `n` latest rotations scheduled in [from, to], latest first. */
  latest(from: number, to: number, n: number) {
    return this.scheduledIn(from, to)
      .sort((a, b) => b.visibleMs - a.visibleMs)
      .slice(0, n);
  }

  /** Rotations scheduled in [from, to]. */
  scheduledIn(from: number, to: number) {
    return this.rotations.filter((r) => r.due >= from && r.due <= to);
  }
}

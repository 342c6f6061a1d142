/**
 * HTTPS load for the benchmarks, generated in a process of its own so that the client's work never runs
 * on a server's event loop: {@link loadFrom} forks this module, sends it one {@link LoadJob}, and gets back
 * every response time it measured, per target. Three shapes of load, all over keep-alive connections:
 *
 * - `max`: autocannon, every connection sending its next request as soon as the last one is answered
 *   (closed loop): the throughput a server sustains, and its latency when saturated.
 * - `rate`: a fixed rate, open loop: `rate` requests per second to each target, evenly spaced and
 *   interleaved between the targets (A B B A A B …), whatever the servers do, on a pool of `connections`
 *   keep-alive connections per target (TLS 1.3 X25519MLKEM768 for `https:` targets, plain for `http:`). A response time runs from the moment the
 *   request was due, so a request that waited for a free connection, or for a late timer, counts its
 *   wait; and a stall of the machine hits every target alike.
 * - `autocannon-rate`: autocannon's `overallRate`, one instance per target at once. autocannon limits each
 *   connection to its share of requests per second but sends that share back to back at the start of each
 *   second: a burst of `rate` requests at full concurrency once a second, not an even rate.
 *
 * Each job runs a warm-up (1 s of the same load: JIT, TLS sessions, connections) and then, after telling
 * the parent that measuring starts (so it can read the servers' CPU time), `duration` seconds measured.
 *
 * @example
 * const { targets } = await loadFrom(
 *   { targets: [a, b], body, duration: 10, connections: 16, shape: "rate", rate: 500 },
 *   { onMeasuring: () => void readCpu() },
 * );
 */
import { fork } from "node:child_process";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent, request } from "node:https";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { quantile } from "./stats.ts";

/** What the load process runs. */
export interface LoadJob {
  /** URLs to load at once; with several, each gets the whole load (connections, rate) of its own. */
  targets: string[];
  body: string;
  /** Measured seconds, after a 1 s warm-up. */
  duration: number;
  /** Keep-alive connections per target. */
  connections: number;
  shape: "max" | "rate" | "autocannon-rate";
  /** Requests per second per target, for the `rate` shapes. */
  rate?: number;
  /** Further request headers (`content-type` is always `application/json`). */
  headers?: Record<string, string>;
}

/** What it measured at one target: every response time (ms) and counts. */
export interface TargetResult {
  /** Response times in ms, one per successful (2xx) request, in the order they completed. */
  samples: number[];
  /**
   * The p99 of each whole second of the measured time (by when requests were due, or, for autocannon,
   * answered): a second in which a neighbour stalled the machine shows as one bad window.
   */
  windowP99: number[];
  /** Successful requests per second over the measured time. */
  rps: number;
  /** Requests that failed (connection errors, timeouts). */
  errors: number;
  /** Requests answered with a status other than 2xx. */
  non2xx: number;
}

/** What the load process measured, per target (in the job's order). */
export interface LoadResult {
  targets: TargetResult[];
  /** `rate` only: the latest any request started after it was due (ms): the pacer's own lag. */
  maxLagMs?: number;
}

type Message = { measuring: true } | { result: LoadResult };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function autocannonAt(job: LoadJob, url: string, duration: number): Promise<TargetResult> {
  // autocannon's own histogram has 1 ms resolution; keep every response time (ms, float) instead.
  const samples: number[] = [];
  const windows = new Windows(performance.now());
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: "POST",
        headers: { "content-type": "application/json", ...job.headers },
        body: job.body,
        connections: job.connections,
        duration,
        ...(job.shape === "autocannon-rate" ? { overallRate: job.rate } : {}),
      },
      (error, result) => (error ? reject(error as Error) : resolve(result)),
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status >= 300) return;
      samples.push(ms);
      windows.add(performance.now(), ms);
    });
  });
  return {
    samples,
    windowP99: windows.p99s(),
    rps: samples.length / duration,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

async function autocannonLoad(job: LoadJob, measured: () => void): Promise<LoadResult> {
  await Promise.all(job.targets.map((url) => autocannonAt(job, url, 1)));
  measured();
  return {
    targets: await Promise.all(job.targets.map((url) => autocannonAt(job, url, job.duration))),
  };
}

/** Response times grouped by the whole second (since `start`) they belong to. */
class Windows {
  private readonly byWindow = new Map<number, number[]>();
  private readonly start: number;
  constructor(start: number) {
    this.start = start;
  }
  add(at: number, ms: number): void {
    const w = Math.floor((at - this.start) / 1000);
    const list = this.byWindow.get(w);
    if (list) list.push(ms);
    else this.byWindow.set(w, [ms]);
  }
  p99s(): number[] {
    return [...this.byWindow.values()].map((l) =>
      quantile(
        l.sort((a, b) => a - b),
        0.99,
      ),
    );
  }
}

/**
 * One POST on `agent` (plain HTTP for an `http:` URL, else TLS); resolves with its status code (0 for a
 * failed request).
 */
function post(
  url: string,
  agent: Agent | HttpAgent,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve) => {
    const send = url.startsWith("http:") ? httpRequest : request;
    const req = send(url, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", ...headers, "content-length": body.length },
    });
    req.once("response", (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
      res.once("error", () => resolve(0));
    });
    req.once("error", () => resolve(0));
    req.end(body);
  });
}

/**
 * Even, open-loop load for `seconds`: `rate` requests per second to each target, interleaved A B B A A B …
 * so that no target always goes first; `record` gets each response. Resolves with the pacer's lag.
 */
async function paced(
  job: LoadJob,
  agents: (Agent | HttpAgent)[],
  seconds: number,
  record?: (target: number, ms: number, status: number, due: number) => void,
): Promise<number> {
  const body = Buffer.from(job.body);
  const n = job.targets.length;
  const interval = 1000 / (job.rate! * n);
  const count = Math.round(seconds * job.rate!) * n;
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  let maxLag = 0;
  for (let i = 0; i < count; i++) {
    const target = (i + Math.floor(i / n)) % n;
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const sentAt = performance.now();
    maxLag = Math.max(maxLag, sentAt - due);
    // From when it was due (a late send counts its wait), or from when it was sent if the timer woke a
    // fraction of a millisecond early (the loop clock lags): never a negative time.
    const from = Math.min(due, sentAt);
    const sent = post(job.targets[target]!, agents[target]!, body, job.headers);
    inflight.push(sent.then((status) => record?.(target, performance.now() - from, status, due)));
  }
  await Promise.all(inflight);
  return maxLag;
}

async function pacedLoad(job: LoadJob, measured: () => void): Promise<LoadResult> {
  const agents = job.targets.map((url) =>
    url.startsWith("http:")
      ? new HttpAgent({ keepAlive: true, maxSockets: job.connections })
      : new Agent({
          keepAlive: true,
          maxSockets: job.connections,
          rejectUnauthorized: false,
          minVersion: "TLSv1.3",
          ecdhCurve: "X25519MLKEM768",
        }),
  );
  try {
    await paced(job, agents, 1);
    measured();
    const started = performance.now();
    const results = job.targets.map(() => ({
      samples: [] as number[],
      windows: new Windows(started),
      errors: 0,
      non2xx: 0,
    }));
    const maxLagMs = await paced(job, agents, job.duration, (target, ms, status, due) => {
      const r = results[target]!;
      if (status === 0) r.errors++;
      else if (status >= 300) r.non2xx++;
      else {
        r.samples.push(ms);
        r.windows.add(due, ms);
      }
    });
    const elapsed = (performance.now() - started) / 1000;
    return {
      targets: results.map(({ windows, ...r }) => ({
        ...r,
        windowP99: windows.p99s(),
        rps: r.samples.length / elapsed,
      })),
      maxLagMs,
    };
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

/**
 * Runs `job` in a second process and resolves with what it measured; `onMeasuring` is called when the
 * warm-up ends and the measured part begins.
 *
 * @example
 * const { targets: [one] } = await loadFrom({ targets: [url], body, duration: 10, connections: 16, shape: "max" });
 */
export function loadFrom(
  job: LoadJob,
  hooks: { onMeasuring?: () => void } = {},
): Promise<LoadResult> {
  const child = fork(fileURLToPath(import.meta.url), ["--load"], { stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.on("message", (message: Message) => {
      if ("measuring" in message) hooks.onMeasuring?.();
      else resolve(message.result);
    });
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`the load process exited with ${code}`));
    });
    child.send(job);
  });
}

// The load process: one job in, one result out.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "--load") {
  process.once("message", (job: LoadJob) => {
    const measured = () => process.send!({ measuring: true } satisfies Message);
    const run = job.shape === "rate" ? pacedLoad : autocannonLoad;
    void run(job, measured).then((result) => {
      process.send!({ result } satisfies Message, () => process.exit(0));
    });
  });
}

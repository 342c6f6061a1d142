/**
 * The operator under benchmark, as a child process: `node operator/bin/latticeguard.mjs operator` from a
 * chosen tree (this checkout, or another one for a before/after comparison in one run), with its own
 * Node.js flags, optionally writing a CPU profile or a heap snapshot.
 *
 * @example
 * const op = await startOperatorChild(parseVariant("after=."), { kubeconfig, tag: "after-0" });
 * await op.stop();
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../hack/process.ts";
import { httpGet } from "./reconcile-probes.ts";

/**
 * An operator tree to run, with extra operator flags and Node.js flags.
 *
 * @example
 * const v: Variant = { label: "before", dir: "/tmp/base", args: ["--workers=8"], nodeArgs: [] };
 */
export interface Variant {
  label: string;
  dir: string;
  args: string[];
  nodeArgs: string[];
}

/**
 * A `--variant` value: `label=dir[:operator flags[:node flags]]`, flags separated by spaces.
 *
 * @example
 * parseVariant("small=.::--max-semi-space-size=4"); // { label: "small", …, nodeArgs: ["--max-semi-space-size=4"] }
 */
export function parseVariant(spec: string): Variant {
  const m = /^([^=]+)=([^:]+)(?::([^:]*))?(?::(.*))?$/.exec(spec);
  if (!m) throw new Error(`\`--variant\` must be label=dir[:flags[:node flags]], got "${spec}"`);
  const words = (text = "") => text.split(" ").filter(Boolean);
  return { label: m[1]!, dir: resolve(m[2]!), args: words(m[3]), nodeArgs: words(m[4]) };
}

/**
 * A running operator child, with its metrics endpoint and log file.
 *
 * @example
 * const body = (await httpGet(`${op.metricsUrl}/metrics`)).body;
 */
export interface OperatorChild {
  child: ChildProcess;
  pid: number;
  metricsUrl: string;
  logPath: string;
  /** SIGTERM, so a CPU profile is written; SIGKILL after a minute. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the operator of `variant` against `kubeconfig` (no leader election, no webhook, no issuance
 * API, warnings only) and resolves once `/readyz` answers 200 (every cache synced).
 *
 * @example
 * const op = await startOperatorChild(variant, { kubeconfig, tag: "after-converge-0", cpuProfDir });
 */
export async function startOperatorChild(
  variant: Variant,
  options: { kubeconfig: string; tag: string; cpuProfDir?: string; heapSnapshotDir?: string },
): Promise<OperatorChild> {
  const port = await freePort();
  const logPath = join(tmpdir(), `latticeguard-bench-${Date.now()}-${options.tag}.log`);
  const dirFor = (root: string | undefined) => {
    if (!root) return undefined;
    const dir = resolve(root, options.tag);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const prof = dirFor(options.cpuProfDir);
  const snapshots = dirFor(options.heapSnapshotDir);
  const fd = openSync(logPath, "a");
  const child = spawn(
    process.execPath,
    [
      ...variant.nodeArgs,
      ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []),
      ...(snapshots ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${snapshots}`] : []),
      join(variant.dir, "operator/bin/latticeguard.mjs"),
      "operator",
      `--kubeconfig=${options.kubeconfig}`,
      `--metrics-bind-address=127.0.0.1:${port}`,
      "--leader-elect=false",
      "--webhook-bind-address=off",
      "--issuer-bind-address=off",
      "--log-level=warn",
      ...variant.args,
    ],
    { cwd: variant.dir, stdio: ["ignore", fd, fd] },
  );
  closeSync(fd);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const metricsUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the operator exited; see ${logPath}`);
    const ready = await httpGet(`${metricsUrl}/readyz`).catch(() => ({ status: 0 }));
    if (ready.status === 200) break;
    if (Date.now() > deadline) throw new Error(`the operator was not ready; see ${logPath}`);
    await sleep(200);
  }
  return {
    child,
    pid: child.pid!,
    metricsUrl,
    logPath,
    async stop() {
      child.kill("SIGTERM");
      const killed = sleep(60_000).then(() => child.kill("SIGKILL"));
      await Promise.race([exited, killed]);
    },
  };
}

/**
 * How often the operator logged each message (at warn and above, the level it runs at).
 *
 * @example
 * operatorComplaints(op.logPath); // Map { "Reconcile failed" => 2 }
 */
export function operatorComplaints(logPath: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(logPath, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const { msg } = JSON.parse(line) as { msg?: string };
      if (msg) counts.set(msg, (counts.get(msg) ?? 0) + 1);
    } catch {
      // not a log line
    }
  }
  return counts;
}

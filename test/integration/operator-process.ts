/**
 * Runs `latticeguard operator` as a real child process against the shared control plane, so tests can
 * kill it (SIGKILL, no goodbye) and start another, exactly as a crash and a restart would.
 *
 * @example
 * const op = await startOperatorProcess({ lease: "fast" });
 * await op.metric("latticeguard_kem_rotations_total");
 * await op.kill();
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll } from "vitest";
import { sampleSum } from "../../hack/metrics-text.ts";
import { repoRoot } from "../../hack/tools.ts";
import { kubeconfigPath } from "./harness.ts";

/** A running operator process. */
export interface OperatorProcess {
  pid: number;
  /** The port of /metrics, /healthz and /readyz. */
  port: number;
  /** Log lines so far, parsed. */
  logs: Record<string, unknown>[];
  /** Whether the process has printed "Started leading". */
  leading(): boolean;
  /** The value of one sample on /metrics (summed over label sets that match `labels`). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** SIGKILL: the process dies at once, mid-write if it was writing. */
  kill(): Promise<void>;
  /** SIGTERM: graceful shutdown (releases the Lease). */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts an operator; resolves once its HTTP endpoints listen. Stopped after the test file at the latest. */
export async function startOperatorProcess(
  options: {
    namespace?: string;
    leaseSeconds?: number;
    /** Default: the shared control plane's admin kubeconfig. */
    kubeconfig?: string;
    /** Appended last, so they override the defaults above. */
    extraArgs?: string[];
  } = {},
): Promise<OperatorProcess> {
  const lease = options.leaseSeconds ?? 4;
  if (lease < 3)
    throw new RangeError(
      "`leaseSeconds` must be at least 3 (renew deadline 1 s above the 1 s retry)",
    );
  const args = [
    "operator/bin/latticeguard.mjs",
    "operator",
    `--kubeconfig=${options.kubeconfig ?? kubeconfigPath()}`,
    `--namespace=${options.namespace ?? "latticeguard-system"}`,
    "--metrics-bind-address=127.0.0.1:0",
    `--leader-election-lease-duration=${lease}s`,
    `--leader-election-renew-deadline=${lease - 1}s`,
    "--leader-election-retry-period=1s",
    "--log-level=debug",
    // Several operators may run at once: each webhook on a port of its own.
    "--webhook-bind-address=127.0.0.1:0",
    "--issuer-bind-address=127.0.0.1:0",
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => running.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === "Started operator") resolve(entry.httpPort as number);
    });
    void exited.then(() => {
      const tail = logs
        .slice(-5)
        .map((l) => JSON.stringify(l))
        .join("\n");
      reject(new Error(`the operator exited before it started:\n${stderr}${tail}`));
    });
  });
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return {
    pid: child.pid!,
    port,
    logs,
    leading: () => logs.some((l) => l.msg === "Started leading"),
    async metric(name, labels = {}) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return sampleSum(text, name, labels);
    },
    kill: () => signal("SIGKILL"),
    stop: () => signal("SIGTERM"),
  };
}

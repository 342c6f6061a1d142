/**
 * Runs `latticeguard proxy` as a real child process (the command the webhook injects, with its flags),
 * so tests see what a pod would: its exit code, its JSON logs, its `/metrics` and `/readyz`.
 *
 * @example
 * const proxy = await startProxyProcess(args);
 * await proxy.metric("latticeguard_proxy_requests_total", { code: "200" });
 * expect(await proxy.stop()).toBe(0);
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll } from "vitest";
import { repoRoot } from "../../hack/tools.ts";

const BIN = "operator/bin/latticeguard.mjs";

/** A running proxy process. */
export interface ProxyProcess {
  /** The listener's port (TLS inbound, plaintext outbound). */
  port: number;
  metricsPort: number;
  /** Log lines so far, parsed. */
  logs: Record<string, unknown>[];
  /** The value of one sample on /metrics (summed over label sets that match `labels`). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * `latticeguard proxy --check --identity-dir=<dir>`, the startup probe: its exit code.
 *
 * @example
 * expect(probe(files.identityDir)).toBe(0);
 */
export function probe(identityDir: string): number | null {
  return spawnSync(process.execPath, [BIN, "proxy", "--check", `--identity-dir=${identityDir}`], {
    cwd: repoRoot,
  }).status;
}

/** Starts a proxy with `args`; resolves once it logs "Started proxy" (60 s at most). */
export async function startProxyProcess(args: string[]): Promise<ProxyProcess> {
  const child = spawn(process.execPath, [BIN, "proxy", "--log-level=debug", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  void exited.then(() => running.delete(child));
  const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("the proxy did not start within 60 s")),
      60_000,
    );
    createInterface({ input: child.stdout }).on("line", (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === "Started proxy") {
        clearTimeout(timer);
        resolve(entry);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      const tail = logs.slice(-5).map((l) => JSON.stringify(l));
      reject(
        new Error(`the proxy exited (${code}) before it started:\n${stderr}${tail.join("\n")}`),
      );
    });
  });
  const metricsPort = started.metricsPort as number;
  return {
    port: started.port as number,
    metricsPort,
    logs,
    async metric(name, labels = {}) {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      let sum = 0;
      for (const line of text.split("\n")) {
        const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const have = new Map(
          [...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]] as const),
        );
        if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
      }
      return sum;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/**
 * Runs `latticeguard proxy` as a real child process (the command the webhook injects, with its flags), so
 * its callers see what a pod would: its exit code, its JSON logs, its `/metrics` and `/readyz`. The
 * integration tests run it this way, and `make dev` plays a kubelet with it. A proxy still running when
 * this process exits is killed (process.ts).
 *
 * @example
 * const proxy = await startProxyProcess(args);
 * await proxy.metric("latticeguard_proxy_requests_total", { code: "200" });
 * expect(await proxy.stop()).toBe(0);
 */
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { sampleSum } from "./metrics-text.ts";
import { killOnExit } from "./process.ts";
import { repoRoot } from "./tools.ts";

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

/** Options for {@link startProxyProcess}. */
export interface ProxyProcessOptions {
  /** The proxy's `--log-level`; `debug` by default. */
  logLevel?: string;
}

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

/**
 * Starts a proxy with `args`; resolves once it logs "Started proxy" (60 s at most). A proxy that exits
 * first, or does not start in time, rejects with the end of its output, and is killed.
 *
 * @example
 * const outbound = await startProxyProcess(["--connect=mcp/tools", "--listen=127.0.0.1:0", ...rest]);
 */
export async function startProxyProcess(
  args: string[],
  options: ProxyProcessOptions = {},
): Promise<ProxyProcess> {
  const logLevel = options.logLevel ?? "debug";
  const child = spawn(process.execPath, [BIN, "proxy", `--log-level=${logLevel}`, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  killOnExit(child);
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
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
  }).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  const metricsPort = started.metricsPort as number;
  return {
    port: started.port as number,
    metricsPort,
    logs,
    async metric(name, labels = {}) {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return sampleSum(text, name, labels);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

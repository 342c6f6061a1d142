/**
 * `latticeguard agent`'s loop: keep the pod's identity files current (keeper.ts, the loop the proxy runs
 * too) and say when it starts and stops. The agent serves nothing itself: the workload reads the files.
 *
 * @example
 * const stop = new AbortController();
 * process.once("SIGTERM", () => stop.abort());
 * await runAgent({ issuer, tokenFile, bundleFile, outDir, algorithm: "ML-DSA-65", signal: stop.signal, log });
 */
import { keepIdentity, type KeeperOptions } from "./keeper.ts";

/**
 * What the agent runs with: the keeper's options.
 *
 * @example
 * const options: AgentOptions = { issuer, tokenFile, bundleFile, outDir, algorithm, signal, log };
 */
export type AgentOptions = KeeperOptions;

/**
 * Runs until `options.signal` aborts; never rejects.
 *
 * @example
 * await runAgent({ ...config, signal, log });
 */
export async function runAgent(options: AgentOptions): Promise<void> {
  const { log, algorithm } = options;
  log.info({ issuer: options.issuer.origin, algorithm, outDir: options.outDir }, "Started agent");
  await keepIdentity(options);
  log.info("Stopped agent");
}

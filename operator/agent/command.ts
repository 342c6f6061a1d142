/**
 * `latticeguard agent`: parse the flags, then either run until SIGTERM or SIGINT (exit 0) or, with
 * `--check`, report whether the output directory holds a currently valid certificate (exit 0 or 1), for a
 * native sidecar's startupProbe so the workload starts only once its identity is in place.
 *
 * @example
 * process.exitCode = await agentCommand(["--issuer=https://127.0.0.1:8443", "--out-dir=/tmp/id"]);
 */
import { logger } from "../log.ts";
import { runAgent } from "./agent.ts";
import { identityInPlace } from "./files.ts";
import { agentHelp, parseAgentFlags } from "./flags.ts";

// The startup probe lives with the files it reads (the proxy's probe is the same); exported here as before.
export { identityInPlace };

/**
 * Runs the command with `argv` (the arguments after `agent`); resolves with the exit code.
 *
 * @example
 * await agentCommand(["--help"]); // 0
 */
export async function agentCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(agentHelp());
    return 0;
  }
  let config;
  try {
    config = parseAgentFlags(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (config.check) return (await identityInPlace(config.outDir, new Date())) ? 0 : 1;
  logger.level = config.logLevel;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  await runAgent({ ...config, signal: stop.signal, log: logger.child({ component: "agent" }) });
  return 0;
}

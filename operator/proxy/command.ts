/**
 * `latticeguard proxy`: parse the flags, then either run until SIGTERM or SIGINT (stop accepting, let
 * requests in flight finish briefly, exit 0) or, with `--check`, report whether `--identity-dir` holds a
 * key and a currently valid certificate (exit 0 or 1): the injected sidecar's startupProbe, so the MCP
 * server (or client) starts only once the proxy has its identity. A listener that cannot bind (an MCP
 * server that took the pod IP's port, by binding 0.0.0.0) exits 1, loudly.
 *
 * @example
 * process.exitCode = await proxyCommand(["--issuer=https://127.0.0.1:8443", "--listen=10.0.0.7:8443", "--mcpserver=mcp/search"]);
 */
import { identityInPlace } from "../agent/files.ts";
import { logger } from "../log.ts";
import { parseProxyFlags, proxyHelp } from "./flags.ts";
import { startProxy } from "./proxy.ts";

/**
 * Runs the command with `argv` (the arguments after `proxy`); resolves with the exit code.
 *
 * @example
 * await proxyCommand(["--help"]); // 0
 */
export async function proxyCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(proxyHelp());
    return 0;
  }
  let config;
  try {
    config = parseProxyFlags(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (config.check) return (await identityInPlace(config.identityDir, new Date())) ? 0 : 1;
  logger.level = config.logLevel;
  const log = logger.child({ component: "proxy" });
  const stop = new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      resolve();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  const proxy = await startProxy(config, { log });
  let failure: unknown;
  const failed = proxy.listening.then(
    () => new Promise<never>(() => undefined), // listening: only a signal ends it
    (error: unknown) => {
      failure = error ?? new Error("the proxy failed to start");
    },
  );
  await Promise.race([stop, failed]);
  // Decided before stopping: a stop before the first identity ends `listening` too, and is no failure.
  const crashed = failure !== undefined;
  if (crashed) log.fatal({ err: failure }, "Failed to start proxy");
  else log.info("Received shutdown signal");
  await proxy.stop();
  return crashed ? 1 : 0;
}

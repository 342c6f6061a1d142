/**
 * The `latticeguard` program: `latticeguard operator` runs the controllers and endpoints; `latticeguard
 * agent` runs in workload pods and keeps their identity (key, certificate, trust bundle) current;
 * `latticeguard proxy` runs in workload pods too and carries their MCP traffic over post-quantum mutual TLS;
 * `latticeguard cbom` writes a CycloneDX CBOM of the cluster's cryptography. Started through
 * `operator/bin/latticeguard.mjs`, which checks the Node.js version first. Each command loads only its own
 * modules, so neither the agent nor the proxy loads the operator.
 */
import { logger } from "./log.ts";

const USAGE =
  "Usage: latticeguard operator [flags]   (latticeguard operator --help for the flags)\n" +
  "       latticeguard agent [flags]      (latticeguard agent --help for the flags)\n" +
  "       latticeguard proxy [flags]      (latticeguard proxy --help for the flags)\n" +
  "       latticeguard cbom [flags]       (latticeguard cbom --help for the flags)\n";

async function operator(rest: string[]): Promise<number> {
  const { operatorHelp, parseOperatorFlags } = await import("./cli/flags.ts");
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(operatorHelp());
    return 0;
  }
  let config;
  try {
    config = parseOperatorFlags(rest, process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const { startOperator } = await import("./operator.ts");
  const running = await startOperator(config);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  logger.info("Received shutdown signal");
  await running.stop();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "operator") return operator(rest);
  if (command === "agent") {
    const { agentCommand } = await import("./agent/command.ts");
    return agentCommand(rest);
  }
  if (command === "proxy") {
    const { proxyCommand } = await import("./proxy/command.ts");
    return proxyCommand(rest);
  }
  if (command === "cbom") {
    const { cbomCommand } = await import("./cbom/command.ts");
    return cbomCommand(rest);
  }
  process.stderr.write(
    command && command !== "--help"
      ? `latticeguard: unknown command "${command}"\n${USAGE}`
      : USAGE,
  );
  return command === "--help" ? 0 : 2;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  logger.fatal({ err: error }, "Crashed");
  return 1;
});

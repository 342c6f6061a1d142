/**
 * The `latticeguard` program: `latticeguard operator` runs the controllers and endpoints; `latticeguard
 * agent` (coming with workload identity) runs in workload pods. Started through `operator/bin/latticeguard.mjs`,
 * which checks the Node.js version first.
 */
import { operatorHelp, parseOperatorFlags } from "./cli/flags.ts";
import { logger } from "./log.ts";
import { startOperator } from "./operator.ts";

const USAGE =
  "Usage: latticeguard operator [flags]   (latticeguard operator --help for the flags)\n";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== "operator") {
    process.stderr.write(
      command && command !== "--help"
        ? `latticeguard: unknown command "${command}"\n${USAGE}`
        : USAGE,
    );
    return command === "--help" ? 0 : 2;
  }
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
  const operator = await startOperator(config);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  logger.info("Received shutdown signal");
  await operator.stop();
  return 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  logger.fatal({ err: error }, "Crashed");
  return 1;
});

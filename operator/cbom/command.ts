/**
 * `latticeguard cbom`: read the cluster through a kubeconfig, build the CBOM, write it to stdout or
 * `--output` (written beside the target and renamed into place, so a reader never sees half a file).
 * What could not be read is said on stderr, one line each, and in the CBOM's metadata; the command still
 * succeeds. Exit codes: 0 written, 1 the cluster could not be read (MCPServers, CryptoPolicies or
 * namespaces) or the file could not be written, 2 bad flags.
 *
 * @example
 * process.exitCode = await cbomCommand(["--output=cbom.json"]);
 */
import { rename, writeFile } from "node:fs/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { loadKubeConfig } from "../kube/kubeconfig.ts";
import { buildCbom } from "./build.ts";
import { serializeCbom } from "./crypto-model.ts";
import { cbomHelp, parseCbomFlags } from "./flags.ts";
import { inventoryOf, type ClusterSnapshot } from "./inventory-of.ts";
import { readCluster, type ReadScope } from "./read.ts";
import { latticeguardTransport } from "./served.ts";

/**
 * What the command talks to; tests replace parts of it.
 *
 * @example
 * await cbomCommand(["--output=/tmp/cbom.json"], { read: async () => snapshot });
 */
export interface CbomIo {
  read: (kc: KubeConfig, scope: ReadScope) => Promise<ClusterSnapshot>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  now: () => Date;
}

const defaultIo: CbomIo = {
  read: readCluster,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  now: () => new Date(),
};

const firstLine = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 300);

/**
 * Runs the command with `argv` (the arguments after `cbom`); resolves with the exit code.
 *
 * @example
 * await cbomCommand(["--help"]); // 0
 */
export async function cbomCommand(
  argv: readonly string[],
  io: Partial<CbomIo> = {},
): Promise<number> {
  const { read, stdout, stderr, env, now } = { ...defaultIo, ...io };
  if (argv.includes("--help") || argv.includes("-h")) {
    stdout(cbomHelp());
    return 0;
  }
  let config;
  try {
    config = parseCbomFlags(argv, env);
  } catch (error) {
    stderr(`${(error as Error).message}\n`);
    return 2;
  }
  let snapshot: ClusterSnapshot;
  try {
    const kc = loadKubeConfig(config.kubeconfig, config.kubeApiTimeoutMs);
    snapshot = await read(kc, {
      source: "latticeguard cbom",
      namespace: config.namespace,
      ...(config.watchNamespaces && { watchNamespaces: config.watchNamespaces }),
      bundleConfigMap: config.bundleConfigMap,
      ...(config.webhookSecret && { webhookSecret: config.webhookSecret }),
      served: latticeguardTransport({ webhook: true, issuer: true }),
    });
  } catch (error) {
    stderr(`latticeguard cbom: could not read the cluster: ${firstLine(error)}\n`);
    return 1;
  }
  const at = now();
  const inventory = inventoryOf(snapshot, at.getTime());
  for (const gap of inventory.gaps) stderr(`latticeguard cbom: ${gap}\n`);
  const json = serializeCbom(buildCbom(inventory, at));
  if (!config.output) {
    stdout(json);
    return 0;
  }
  const partial = `${config.output}.partial-${process.pid}`;
  try {
    await writeFile(partial, json, { mode: 0o644 });
    await rename(partial, config.output);
  } catch (error) {
    stderr(`latticeguard cbom: could not write ${config.output}: ${firstLine(error)}\n`);
    return 1;
  }
  return 0;
}

/**
 * `make dev`: brings up the local control plane, installs the CRDs, applies the samples and a fast-rotation
 * policy, runs the operator in this process, and keeps everything running until Ctrl-C. `--once` waits for
 * the first scheduled rotation, shows it, and stops (CI runs it as a smoke test).
 */
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseOperatorFlags } from "../operator/cli/flags.ts";
import { startOperator, type RunningOperator } from "../operator/operator.ts";
import { startControlPlane } from "./control-plane.ts";
import { installCrds, kubectl } from "./kubectl.ts";
import { repoRoot, tools } from "./tools.ts";

const once = process.argv.includes("--once");
const cp = await startControlPlane();
let operator: RunningOperator | undefined;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await operator?.stop();
  await cp.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function waitForRotation(kubeconfig: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const events = await kubectl(kubeconfig, ["get", "events", "-n", "mcp-demo", "-o", "json"]);
    if (events.includes("(Scheduled)")) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`no scheduled rotation within ${timeoutMs / 1000}s`);
}

try {
  // A stable path for the user's other terminals; the control plane's own copy dies with it.
  const devDir = join(repoRoot, ".dev");
  await mkdir(devDir, { recursive: true });
  const kubeconfig = join(devDir, "kubeconfig");
  await copyFile(cp.kubeconfigPath, kubeconfig);

  await installCrds(kubeconfig);
  await kubectl(kubeconfig, ["create", "namespace", "latticeguard-system"]);
  console.log(await kubectl(kubeconfig, ["apply", "-f", join(repoRoot, "config/samples")]));
  console.log(await kubectl(kubeconfig, ["apply", "-f", join(repoRoot, "config/dev")]));
  operator = await startOperator(
    parseOperatorFlags([`--kubeconfig=${kubeconfig}`, "--metrics-bind-address=127.0.0.1:0"], {}),
  );

  const { kubectl: kubectlPath } = await tools();
  console.log(
    [
      "",
      `LatticeGuard is running against the local control plane at ${cp.server}.`,
      "The demo servers in namespace mcp-demo rotate their keys every 30 s. In another terminal:",
      `  export KUBECONFIG=${kubeconfig}`,
      `  alias kubectl=${kubectlPath}`,
      "  kubectl get mcpservers -n mcp-demo -w",
      "  kubectl get events -n mcp-demo -w",
      "  kubectl get cryptopolicies",
      `  curl -s http://127.0.0.1:${operator.httpPort}/metrics | grep latticeguard_kem`,
      once ? "" : "Press Ctrl-C to stop it and remove its data.\n",
    ].join("\n"),
  );
  if (once) {
    await waitForRotation(kubeconfig, 90_000);
    console.log(await kubectl(kubeconfig, ["get", "mcpservers", "-n", "mcp-demo"]));
    console.log(await kubectl(kubeconfig, ["get", "cryptopolicies"]));
    await shutdown(0);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await shutdown(1);
}

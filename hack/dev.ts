/**
 * `make dev`: brings up the local control plane, installs the CRDs, applies the samples and shows them,
 * then keeps everything running until Ctrl-C. `--once` stops after showing the samples (used by CI).
 */
import { mkdir, copyFile } from "node:fs/promises";
import { join } from "node:path";
import { startControlPlane } from "./control-plane.ts";
import { installCrds, kubectl } from "./kubectl.ts";
import { repoRoot, tools } from "./tools.ts";

const once = process.argv.includes("--once");
const cp = await startControlPlane();
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await cp.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  // A stable path for the user's other terminals; the control plane's own copy dies with it.
  const devDir = join(repoRoot, ".dev");
  await mkdir(devDir, { recursive: true });
  const kubeconfig = join(devDir, "kubeconfig");
  await copyFile(cp.kubeconfigPath, kubeconfig);

  await installCrds(kubeconfig);
  console.log("Installed the LatticeGuard CRDs.");
  console.log(await kubectl(kubeconfig, ["apply", "-f", join(repoRoot, "config/samples")]));
  console.log(await kubectl(kubeconfig, ["get", "cryptopolicies,mcpservers", "-A"]));

  const { kubectl: kubectlPath } = await tools();
  console.log(
    [
      `The local control plane is running at ${cp.server}. In another terminal:`,
      `  export KUBECONFIG=${kubeconfig}`,
      `  alias kubectl=${kubectlPath}`,
      `  kubectl get latticeguard -A`,
      `  kubectl explain cryptopolicy.spec.kem`,
      once ? "" : "Press Ctrl-C to stop it and remove its data.",
    ].join("\n"),
  );
  if (once) await shutdown(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await shutdown(1);
}

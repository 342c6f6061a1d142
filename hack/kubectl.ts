/**
 * Runs the real kubectl (from hack/tools.ts) against a kubeconfig, for scripts and tests.
 *
 * @example
 * await installCrds(cp.kubeconfigPath);
 * const out = await kubectl(cp.kubeconfigPath, ["get", "crds"]);
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { repoRoot, tools } from "./tools.ts";

/** The result of a kubectl run that may fail. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl; resolves with its exit code and output instead of throwing. */
export async function tryKubectl(
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<KubectlResult> {
  const { kubectl: bin } = await tools();
  return new Promise((resolve) => {
    const child = execFile(
      bin,
      args,
      { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? "");
  });
}

/** Runs kubectl and returns its stdout; throws with kubectl's stderr if it fails. */
export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const result = await tryKubectl(kubeconfig, args, input);
  if (result.code !== 0) {
    throw new Error(`kubectl ${args.join(" ")} failed (exit ${result.code}):\n${result.stderr}`);
  }
  return result.stdout;
}

/** Applies the CRDs in `crds/` (server-side) and waits until the API server serves them. */
export async function installCrds(kubeconfig: string): Promise<void> {
  await kubectl(kubeconfig, [
    "apply",
    "--server-side",
    "--field-manager=latticeguard",
    "-f",
    join(repoRoot, "crds"),
  ]);
  await kubectl(kubeconfig, [
    "wait",
    "--for=condition=Established",
    "crd",
    "-l",
    "app.kubernetes.io/part-of=latticeguard",
    "--timeout=60s",
  ]);
}

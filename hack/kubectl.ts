/**
 * Runs the real kubectl and helm (from hack/tools.ts) against a kubeconfig, for scripts and tests.
 *
 * @example
 * await installCrds(cp.kubeconfigPath);
 * const out = await kubectl(cp.kubeconfigPath, ["get", "crds"]);
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { clientTools, repoRoot } from "./tools.ts";

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
  return run((await clientTools()).kubectl, kubeconfig, args, input);
}

/** Runs kubectl and returns its stdout; throws with kubectl's stderr if it fails. */
export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  return orThrow("kubectl", args, await tryKubectl(kubeconfig, args, input));
}

/** Runs helm; resolves with its exit code and output instead of throwing. */
export async function tryHelm(
  kubeconfig: string | undefined,
  args: string[],
): Promise<KubectlResult> {
  return run((await clientTools()).helm, kubeconfig, args);
}

/**
 * Runs helm (`kubeconfig` undefined for commands that need no cluster, like `template`) and returns its
 * stdout; throws with helm's stderr if it fails.
 *
 * @example
 * await helm(undefined, ["lint", "charts/latticeguard"]);
 */
export async function helm(kubeconfig: string | undefined, args: string[]): Promise<string> {
  return orThrow("helm", args, await tryHelm(kubeconfig, args));
}

function run(
  bin: string,
  kubeconfig: string | undefined,
  args: string[],
  input?: string,
): Promise<KubectlResult> {
  const env = { ...process.env, ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) };
  return new Promise((resolve) => {
    const child = execFile(
      bin,
      args,
      { env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    // kubectl may exit before it reads its input (`get` reads none): the exit code says what happened,
    // so a closed pipe (EPIPE) is no error of its own, and must not crash the caller.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}

function orThrow(tool: string, args: string[], result: KubectlResult): string {
  if (result.code !== 0) {
    throw new Error(`${tool} ${args.join(" ")} failed (exit ${result.code}):\n${result.stderr}`);
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

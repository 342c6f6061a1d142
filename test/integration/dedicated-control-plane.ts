/**
 * A control plane of a test file's own, for tests that restart or stop its processes (kube-apiserver,
 * etcd) or need an API server tuned differently from the shared one: the other files keep a healthy
 * control plane. Set up as the global setup sets up the shared one (CRDs installed, the operator's
 * namespace created) and stopped after the file.
 *
 * @example
 * const { cp, kc } = await dedicatedControlPlane({ apiserverArgs: ["--etcd-compaction-interval=1s"] });
 * await cp.processes["kube-apiserver"].restart();
 * await cp.waitReady();
 */
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll } from "vitest";
import {
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from "../../hack/control-plane.ts";
import { installCrds, kubectl } from "../../hack/kubectl.ts";

/** A started control plane and a KubeConfig for its admin user. */
export interface DedicatedControlPlane {
  cp: ControlPlane;
  kc: KubeConfig;
}

/** Starts a control plane for the calling test file; it is stopped after the file's tests. */
export async function dedicatedControlPlane(
  options: Pick<ControlPlaneOptions, "apiserverArgs"> = {},
): Promise<DedicatedControlPlane> {
  const cp = await startControlPlane({ ...options, log: () => undefined });
  afterAll(() => cp.stop());
  try {
    await installCrds(cp.kubeconfigPath);
    await kubectl(cp.kubeconfigPath, ["create", "namespace", "latticeguard-system"]);
  } catch (error) {
    for (const p of Object.values(cp.processes))
      p.printLogTail((line) => process.stderr.write(`${line}\n`));
    throw error;
  }
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  return { cp, kc };
}

/**
 * Starts one real control plane (etcd, kube-apiserver, kube-controller-manager) for the integration
 * project, installs the CRDs from `crds/`, hands the tests its kubeconfig through `inject`, and tears it
 * all down afterwards.
 */
import type { TestProject } from "vitest/node";
import { startControlPlane, type ControlPlane } from "../../hack/control-plane.ts";
import { installCrds, kubectl } from "../../hack/kubectl.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Path of the admin kubeconfig of the shared control plane. */
    kubeconfigPath: string;
    /** Where the control plane keeps data, keys and logs. */
    controlPlaneDir: string;
  }
}

let controlPlane: ControlPlane | undefined;

export async function setup(project: TestProject): Promise<void> {
  controlPlane = await startControlPlane();
  await installCrds(controlPlane.kubeconfigPath);
  // The operator's own namespace, where operators under test keep their leader-election Lease.
  await kubectl(controlPlane.kubeconfigPath, ["create", "namespace", "latticeguard-system"]);
  project.provide("kubeconfigPath", controlPlane.kubeconfigPath);
  project.provide("controlPlaneDir", controlPlane.dir);
}

export async function teardown(): Promise<void> {
  await controlPlane?.stop();
}

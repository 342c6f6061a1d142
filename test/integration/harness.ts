/**
 * What integration tests share: a KubeConfig for the control plane the global setup started, and a
 * namespace of their own that is deleted afterwards.
 *
 * @example
 * const { kc, namespace } = await testNamespace("crds");
 */
import { randomBytes } from "node:crypto";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, inject } from "vitest";

/** A KubeConfig for the shared control plane's admin user. */
export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject("kubeconfigPath"));
  return kc;
}

/** Path of the admin kubeconfig, for kubectl. */
export function kubeconfigPath(): string {
  return inject("kubeconfigPath");
}

/**
 * Creates a namespace `<prefix>-<random>` for the calling test file and deletes it after the file's tests.
 */
export async function testNamespace(
  prefix: string,
  labels: Record<string, string> = {},
): Promise<{ kc: KubeConfig; namespace: string }> {
  const kc = kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = `${prefix}-${randomBytes(3).toString("hex")}`;
  await core.createNamespace({ body: { metadata: { name: namespace, labels } } });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });
  return { kc, namespace };
}

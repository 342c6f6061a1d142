/**
 * Keeps the `caBundle` of LatticeGuard's ValidatingWebhookConfiguration equal to the CAs in the webhook's
 * Secret, so the API server trusts the serving certificate. Every webhook in the configuration gets the
 * same bundle. The patch is a JSON patch guarded by the resourceVersion it read (a `test` operation), so
 * it never overwrites a concurrent change; a configuration that does not exist yet (installed later, or
 * not at all in local runs) is not an error: the next sync tries again.
 *
 * @example
 * await patchCaBundle(kc, "latticeguard", bundlePem); // "Patched" | "Unchanged" | "NotFound"
 */
import { AdmissionregistrationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { isNotFound } from "../../operator/kube/apply.ts";

/**
 * What {@link patchCaBundle} did.
 *
 * @example
 * const outcome: CaBundleOutcome = "Unchanged";
 */
export type CaBundleOutcome = "Patched" | "Unchanged" | "NotFound";

/**
 * Sets `caBundle` (PEM, base64-encoded here) on every webhook of configuration `name`.
 *
 * @example
 * await patchCaBundle(kc, "latticeguard", stored.bundle.join(""));
 */
export async function patchCaBundle(
  kc: KubeConfig,
  name: string,
  bundlePem: string,
): Promise<CaBundleOutcome> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const caBundle = Buffer.from(bundlePem, "utf8").toString("base64");
  let current;
  try {
    current = await api.readValidatingWebhookConfiguration({ name });
  } catch (error) {
    if (isNotFound(error)) return "NotFound";
    throw error;
  }
  const ops = (current.webhooks ?? []).flatMap((w, i) =>
    w.clientConfig.caBundle === caBundle
      ? []
      : [{ op: "add", path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle }],
  );
  if (ops.length === 0) return "Unchanged";
  const guard = {
    op: "test",
    path: "/metadata/resourceVersion",
    value: current.metadata?.resourceVersion,
  };
  await api.patchValidatingWebhookConfiguration({ name, body: [guard, ...ops] });
  return "Patched";
}

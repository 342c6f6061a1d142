/**
 * Keeps the `caBundle` of LatticeGuard's webhook configurations (the ValidatingWebhookConfiguration and
 * the MutatingWebhookConfiguration) equal to the CAs in the webhook's Secret, so the API server trusts the
 * serving certificate. Every webhook in a configuration gets the same bundle. The patch is a JSON patch
 * guarded by the resourceVersion it read (a `test` operation), so it never overwrites a concurrent change;
 * a configuration that does not exist yet (installed later, or not at all in local runs) is not an error:
 * the next sync tries again.
 *
 * @example
 * await patchCaBundle(kc, "latticeguard", bundlePem); // "Patched" | "Unchanged" | "NotFound"
 * await patchCaBundle(kc, "latticeguard", bundlePem, "mutating");
 */
import {
  AdmissionregistrationV1Api,
  type KubeConfig,
  type V1MutatingWebhookConfiguration,
  type V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { isNotFound } from "../../operator/kube/apply.ts";

/**
 * What {@link patchCaBundle} did.
 *
 * @example
 * const outcome: CaBundleOutcome = "Unchanged";
 */
export type CaBundleOutcome = "Patched" | "Unchanged" | "NotFound";

/**
 * Which kind of configuration: `validating` or `mutating`.
 *
 * @example
 * const kind: ConfigurationKind = "mutating";
 */
export type ConfigurationKind = "validating" | "mutating";

type Configuration = V1ValidatingWebhookConfiguration | V1MutatingWebhookConfiguration;

function client(kc: KubeConfig, kind: ConfigurationKind) {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  return kind === "validating"
    ? {
        read: (name: string): Promise<Configuration> =>
          api.readValidatingWebhookConfiguration({ name }),
        patch: (name: string, body: object[]) =>
          api.patchValidatingWebhookConfiguration({ name, body }),
      }
    : {
        read: (name: string): Promise<Configuration> =>
          api.readMutatingWebhookConfiguration({ name }),
        patch: (name: string, body: object[]) =>
          api.patchMutatingWebhookConfiguration({ name, body }),
      };
}

/**
 * Sets `caBundle` (PEM, base64-encoded here) on every webhook of the `kind` configuration `name`.
 *
 * @example
 * await patchCaBundle(kc, "latticeguard", stored.bundle.join(""), "validating");
 */
export async function patchCaBundle(
  kc: KubeConfig,
  name: string,
  bundlePem: string,
  kind: ConfigurationKind = "validating",
): Promise<CaBundleOutcome> {
  const api = client(kc, kind);
  const caBundle = Buffer.from(bundlePem, "utf8").toString("base64");
  let current: Configuration;
  try {
    current = await api.read(name);
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
  await api.patch(name, [guard, ...ops]);
  return "Patched";
}

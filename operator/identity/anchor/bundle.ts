/**
 * The trust bundle: every anchor a verifier should trust now, the signing one first, as one PEM file
 * (`bundle.pem`) in ConfigMap `latticeguard-trust-bundle` (name configurable). The operator's namespace
 * holds the source, written from the anchor Secret; a copy, labelled as one, sits in every namespace that
 * has an MCPServer, where pods mount it. Copies are written only when their content differs and removed
 * from namespaces that no longer have an MCPServer. All pure.
 *
 * @example
 * const pem = bundlePem(bundleAnchors(anchors, Date.now()));
 * decideCopy({ hasServers: true, source: pem, copy: undefined }); // "apply"
 */
import type { V1ConfigMap } from "@kubernetes/client-node";
import { MANAGED_LABELS } from "../../kube/apply.ts";
import type { AnchorRecord, AnchorState } from "./rotation.ts";

/**
 * The ConfigMap entry that holds the bundle.
 *
 * @example
 * configMap.data?.[BUNDLE_ENTRY]; // "-----BEGIN CERTIFICATE-----\n…"
 */
export const BUNDLE_ENTRY = "bundle.pem";

/**
 * The label on every trust bundle ConfigMap (source and copies), so copies can be told from anything
 * else with their name.
 *
 * @example
 * configMap.metadata?.labels?.[TRUST_BUNDLE_LABEL] === "true";
 */
export const TRUST_BUNDLE_LABEL = "latticeguard.dev/trust-bundle";

const ORDER: Record<AnchorState, number> = { active: 0, next: 1, retiring: 2 };

/**
 * The anchors a verifier should trust at `now` (every one not yet expired), the signer first, then the
 * next anchor, then retiring ones, newest first.
 *
 * @example
 * bundleAnchors(anchors, Date.now()).map((a) => a.state); // ["active", "next"]
 */
export function bundleAnchors<T extends AnchorRecord>(anchors: readonly T[], now: number): T[] {
  return anchors
    .filter((a) => now < a.notAfter)
    .sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.notBefore - a.notBefore);
}

/**
 * One PEM file of the anchors' certificates, in order.
 *
 * @example
 * bundlePem([{ certificate: caPem }]); // caPem
 */
export function bundlePem(anchors: readonly { certificate: string }[]): string {
  return anchors.map((a) => a.certificate).join("");
}

/**
 * The certificates of a bundle file, one PEM each (what `verifyCertificate` takes).
 *
 * @example
 * await verifyCertificate(leafPem, splitBundle(configMap.data["bundle.pem"]));
 */
export function splitBundle(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

/**
 * The bundle ConfigMap `name` in `namespace` with `pem`: the same object for the source and for copies.
 *
 * @example
 * await writer.apply(bundleConfigMap("latticeguard-trust-bundle", "mcp-demo", pem));
 */
export function bundleConfigMap(name: string, namespace: string, pem: string): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, labels: { ...MANAGED_LABELS, [TRUST_BUNDLE_LABEL]: "true" } },
    data: { [BUNDLE_ENTRY]: pem },
  };
}

/**
 * What one namespace's copy needs: whether it has an MCPServer, the source bundle (undefined until it is
 * published) and the copy's bundle (undefined when there is no copy, "" for a copy without one).
 *
 * @example
 * const input: CopyInput = { hasServers: true, source: pem, copy: undefined };
 */
export interface CopyInput {
  hasServers: boolean;
  source: string | undefined;
  copy: string | undefined;
}

/**
 * What to do with one namespace's copy: write it (`apply`), remove it (`delete`) or nothing.
 *
 * @example
 * decideCopy({ hasServers: false, source: pem, copy: pem }); // "delete"
 */
export function decideCopy(input: CopyInput): "apply" | "delete" | "none" {
  if (!input.hasServers) return input.copy === undefined ? "none" : "delete";
  if (!input.source || input.copy === input.source) return "none";
  return "apply";
}

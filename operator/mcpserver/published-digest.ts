/**
 * What the operator's cache keeps of each MCPServer's public-keys ConfigMap: a digest of `keys.json`,
 * not the text. The reconciler only ever compares what it would publish with what is published, and the
 * text (every public key, base64, with its metadata: 3–5 KB an MCPServer) was the largest thing the
 * cache held per server, about 9 MiB at 5,000 servers. The ConfigMap informer applies
 * {@link digestPublishedKeys} to every object before caching it; {@link isPublished} compares.
 *
 * A ConfigMap is a public-keys one when it carries the `latticeguard.dev/mcpserver` label (as the
 * operator writes them) and a `keys.json` entry; every other ConfigMap (the trust bundles) is cached
 * whole.
 *
 * @example
 * const cached = digestPublishedKeys(configMap).data?.["keys.json"]; // "sha256:…"
 * isPublished(JSON.stringify(keys, null, 2), cached); // true when they match
 */
import { createHash } from "node:crypto";
import type { V1ConfigMap } from "@kubernetes/client-node";
import { PUBLIC_KEYS_ENTRY } from "./keyring.ts";

/** The label on every object the operator writes for one MCPServer. */
export const MCPSERVER_LABEL = "latticeguard.dev/mcpserver";

/**
 * The digest the cache holds in place of published text.
 *
 * @example
 * publishedDigest("[]"); // "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"
 */
export function publishedDigest(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/**
 * The ConfigMap with `keys.json` replaced by its digest, if it is a public-keys ConfigMap; any other
 * ConfigMap as it is.
 *
 * @example
 * new Informer<V1ConfigMap>(kc, { resource, transform: (cm) => digestPublishedKeys(stripManagedFields(cm)) });
 */
export function digestPublishedKeys(cm: V1ConfigMap): V1ConfigMap {
  const text = cm.data?.[PUBLIC_KEYS_ENTRY];
  if (text === undefined || cm.metadata?.labels?.[MCPSERVER_LABEL] === undefined) return cm;
  return { ...cm, data: { ...cm.data, [PUBLIC_KEYS_ENTRY]: publishedDigest(text) } };
}

/**
 * Whether `published` is what the cache shows: its digest, or (a cache that keeps whole objects) the
 * text itself.
 *
 * @example
 * if (isPublished(text, configMap?.data?.["keys.json"])) return; // nothing to write
 */
export function isPublished(published: string, cached: string | undefined): boolean {
  return cached !== undefined && (cached === published || cached === publishedDigest(published));
}

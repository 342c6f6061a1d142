/**
 * Naming a resource and listing it as plain JSON, for the informer.
 *
 * Why not client-node's typed list calls: they turn timestamps into `Date`s while watch events stay
 * JSON, so an informer fed by both holds objects whose field types change with their first update
 * (kubernetes-client/javascript#655). The informer lists with this module instead, so every cached
 * object is exactly what the API server sent: timestamps are RFC 3339 strings, whether an object came
 * from the list or from the watch. Authentication, CA and proxy settings still come from the KubeConfig.
 *
 * @example
 * const path = resourcePath({ apiVersion: "v1", plural: "configmaps" }, "mcp");
 * const list = await listJson(kc, path, { labelSelector: "app=weather" });
 */
import { request, type RequestOptions } from "node:https";
import type { KubeConfig, KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";

/**
 * A resource as the API serves it: `apiVersion` ("v1", "latticeguard.dev/v1alpha1") and plural name.
 *
 * @example
 * const mcpServers: ResourceType = { apiVersion: "latticeguard.dev/v1alpha1", plural: "mcpservers" };
 */
export interface ResourceType {
  apiVersion: string;
  plural: string;
}

/**
 * The collection URL path of a resource, in one namespace or (without one) across the cluster.
 *
 * @example
 * resourcePath({ apiVersion: "latticeguard.dev/v1alpha1", plural: "cryptopolicies" });
 * // "/apis/latticeguard.dev/v1alpha1/cryptopolicies"
 */
export function resourcePath(resource: ResourceType, namespace?: string): string {
  const { apiVersion, plural } = resource;
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion)) {
    throw new TypeError(
      `\`resource.apiVersion\` must look like "v1" or "group/v1", got "${apiVersion}"`,
    );
  }
  if (!/^[a-z0-9-]+$/.test(plural))
    throw new TypeError(`\`resource.plural\` is not a resource name: "${plural}"`);
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}`
    : `${base}/${plural}`;
}

/**
 * An HTTP error from the API server, with its status code where client-node's informer looks for it.
 *
 * @example
 * if (error instanceof HttpError && error.statusCode === 403) log.error("Lacked permission to list");
 */
export class HttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.statusCode = statusCode;
  }
}

const LIST_TIMEOUT_MS = 60_000;

async function getJson(
  kc: KubeConfig,
  path: string,
  query: URLSearchParams,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error("The KubeConfig has no current cluster");
  const url = new URL(`${server}${path}?${query.toString()}`);
  const options: RequestOptions = { headers: { accept: "application/json" }, signal };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          parsed = undefined;
        }
        if (status >= 200 && status <= 299 && parsed !== undefined) resolve(parsed);
        else {
          const message =
            (parsed as { message?: string } | undefined)?.message ?? body.slice(0, 200);
          reject(new HttpError(status, `GET ${path} failed with HTTP ${status}: ${message}`));
        }
      });
    });
    req.on("error", reject);
    // A list never takes this long on a healthy API server; waiting longer would stall the informer.
    req.setTimeout(LIST_TIMEOUT_MS, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.end();
  });
}

/**
 * Lists a collection as the API server's JSON, following `continue` tokens in pages of `limit`. When
 * `signal` aborts, the request in flight is abandoned (its connection closed) and the list rejects with
 * the signal's reason; a caller that gives up on a list should abort it, or the request runs on until
 * the API server answers or the 60 s list timeout.
 * `transform` is applied to each item as its page arrives, so a caller that keeps only part of each
 * object never holds more than one page of whole objects.
 *
 * @example
 * const { items, metadata } = await listJson<MCPServer>(kc, "/apis/latticeguard.dev/v1alpha1/mcpservers");
 * await listJson(kc, path, { signal: AbortSignal.timeout(2000) });
 */
export async function listJson<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  options: {
    labelSelector?: string;
    fieldSelector?: string;
    limit?: number;
    signal?: AbortSignal;
    transform?: (item: T) => T;
  } = {},
): Promise<KubernetesListObject<T>> {
  const { signal } = options;
  const items: T[] = [];
  let page: KubernetesListObject<T>;
  let next: string | undefined;
  do {
    signal?.throwIfAborted();
    const query = new URLSearchParams({ limit: String(options.limit ?? 500) });
    if (options.labelSelector) query.set("labelSelector", options.labelSelector);
    if (options.fieldSelector) query.set("fieldSelector", options.fieldSelector);
    if (next) query.set("continue", next);
    page = (await getJson(kc, path, query, signal)) as KubernetesListObject<T>;
    // Items of a list carry no apiVersion and kind; watch events do. Fill them in to match.
    const kind = page.kind?.replace(/List$/, "");
    for (const item of page.items ?? []) {
      const full = { apiVersion: page.apiVersion, kind, ...item };
      items.push(options.transform ? options.transform(full) : full);
    }
    // The raw JSON field is `continue` (client-node's typed models call it `_continue`).
    next = (page.metadata as { continue?: string } | undefined)?.continue;
  } while (next);
  return { ...page, items };
}

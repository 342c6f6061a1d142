/**
 * The part of a kubelet that a pod's LatticeGuard agent or proxy depends on, for the local control plane,
 * which has no nodes and so no kubelet: the projected service-account token (a TokenRequest token bound
 * to the pod), the trust bundle ConfigMap that the pod mounts as a file, and the injected sidecar's args
 * with the pod's address and those files put in. `make dev` and the integration tests write these files
 * for the agents and proxies they run in place of the pods.
 *
 * @example
 * await writeVolumeFile(mounts.tokenFile, await podToken(core, { pod, serviceAccount: "tools" }));
 * await writeVolumeFile(mounts.bundleFile, (await trustBundle(core, "mcp-demo")) ?? "");
 * const args = kubeletArgs(sidecar.args, { listen: "127.0.0.1:0", upstream: "127.0.0.1:9000", mounts });
 * const ip = await freeLoopbackAddress(8443); // a pod address of its own, say 127.0.0.23
 * await reportPodRunning(core, pod, ip);
 */
import { rename, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import {
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Api,
  type V1Pod,
} from "@kubernetes/client-node";
import { BUNDLE_ENTRY } from "../operator/identity/anchor/bundle.ts";
import { portNumber } from "../operator/policy/exposure.ts";
import { DEFAULT_AUDIENCE } from "../operator/identity/issuer/issuer.ts";

/**
 * What a projected token is requested for: the ServiceAccount and the pod it is bound to.
 *
 * @example
 * const request: TokenFor = { serviceAccount: "planner", pod, expirationSeconds: 3600 };
 */
export interface TokenFor {
  serviceAccount: string;
  /** The pod the token is bound to; undefined: an unbound token, in `namespace`. */
  pod: V1Pod | undefined;
  /** The ServiceAccount's namespace; default the pod's. */
  namespace?: string;
  /** Default {@link DEFAULT_AUDIENCE}, the issuance API's. */
  audience?: string;
  /** Default 600, the least the API server grants. */
  expirationSeconds?: number;
}

/**
 * A projected-style service-account token from the TokenRequest API.
 *
 * @example
 * await podToken(core, { serviceAccount: "search", pod }); // audience latticeguard.dev/identity, 10 minutes
 */
export async function podToken(core: CoreV1Api, request: TokenFor): Promise<string> {
  const { pod } = request;
  const namespace = request.namespace ?? pod?.metadata?.namespace;
  if (!namespace) throw new TypeError("`namespace` must be set for a token bound to no pod");
  const answer = await core.createNamespacedServiceAccountToken({
    name: request.serviceAccount,
    namespace,
    body: {
      spec: {
        audiences: [request.audience ?? DEFAULT_AUDIENCE],
        expirationSeconds: request.expirationSeconds ?? 600,
        ...(pod && {
          boundObjectRef: {
            kind: "Pod",
            apiVersion: "v1",
            name: pod.metadata!.name,
            uid: pod.metadata!.uid,
          },
        }),
      },
    },
  });
  const token = answer.status?.token;
  if (!token) throw new Error("TokenRequest returned no token");
  return token;
}

/**
 * The PEM trust bundle the operator copied into `namespace` (ConfigMap `name`), or undefined while
 * there is none.
 *
 * @example
 * const pem = await trustBundle(core, "mcp-demo");
 */
export async function trustBundle(
  core: CoreV1Api,
  namespace: string,
  name = "latticeguard-trust-bundle",
): Promise<string | undefined> {
  const configMap = await core.readNamespacedConfigMap({ name, namespace }).catch(() => undefined);
  return configMap?.data?.[BUNDLE_ENTRY] || undefined;
}

/**
 * Where a pod's proxy finds what the kubelet mounted, and writes its identity.
 *
 * @example
 * const mounts: PodMounts = { tokenFile: "/tmp/x/token", bundleFile: "/tmp/x/bundle.pem", identityDir: "/tmp/x/identity" };
 */
export interface PodMounts {
  tokenFile: string;
  bundleFile: string;
  identityDir: string;
}

/**
 * The injected sidecar's args as a kubelet would run them here: `--listen` (the pod IP and the MCP port)
 * and `--upstream` (the server on loopback) at the addresses given, the mounted files where this
 * process wrote them, and metrics on a free loopback port; without the leading `proxy`. Pure.
 *
 * @example
 * kubeletArgs(["proxy", "--listen=$(POD_IP):8443", "--upstream=127.0.0.1:8443", "--mcpserver=mcp-demo/calculator"],
 *   { listen: "127.0.0.1:0", upstream: "127.0.0.1:40123", mounts });
 * // ["--listen=127.0.0.1:0", "--upstream=127.0.0.1:40123", "--mcpserver=mcp-demo/calculator", "--token-file=…", …]
 */
export function kubeletArgs(
  args: readonly string[],
  at: { listen: string; upstream: string; mounts: PodMounts },
): string[] {
  const [command, ...flags] = args;
  if (command !== "proxy") throw new Error(`the sidecar runs "${command}", not "proxy"`);
  const resolved = flags.map((flag) => {
    if (flag.startsWith("--listen=")) return `--listen=${at.listen}`;
    if (flag.startsWith("--upstream=")) return `--upstream=${at.upstream}`;
    if (flag.includes("$(")) throw new Error(`no kubelet variable is known in "${flag}"`);
    return flag;
  });
  return [...resolved, ...mountFlags(at.mounts)];
}

/**
 * The proxy flags that point at the files in `mounts`, and metrics on a free loopback port.
 *
 * @example
 * mountFlags(mounts); // ["--token-file=/tmp/…/token", "--bundle-file=…", "--identity-dir=…", "--metrics-address=127.0.0.1:0"]
 */
export function mountFlags(mounts: PodMounts): string[] {
  return [
    `--token-file=${mounts.tokenFile}`,
    `--bundle-file=${mounts.bundleFile}`,
    `--identity-dir=${mounts.identityDir}`,
    "--metrics-address=127.0.0.1:0",
  ];
}

/**
 * Writes `file` whole (a new file renamed over the old one), as a kubelet swaps a volume's files, so a
 * reader never sees half of it.
 *
 * @example
 * await writeVolumeFile(mounts.tokenFile, token);
 */
export async function writeVolumeFile(file: string, content: string): Promise<void> {
  await writeFile(`${file}.tmp`, content, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/**
 * A loopback address (127.0.0.2 to 127.0.0.254) on which `port` is free: a pod address of its own, so
 * what listens there can use the pod's real port, as in a pod network namespace. Linux routes all of
 * 127.0.0.0/8 to the loopback interface.
 *
 * @example
 * const ip = await freeLoopbackAddress(8443); // "127.0.0.23"
 */
export async function freeLoopbackAddress(port: number): Promise<string> {
  const start = 2 + Math.floor(Math.random() * 200);
  for (let i = 0; i < 253; i++) {
    const ip = `127.0.0.${2 + ((start - 2 + i) % 253)}`;
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer()
        .once("error", () => resolve(false))
        .listen(port, ip, () => probe.close(() => resolve(true)));
    });
    if (free) return ip;
  }
  throw new Error(`port ${port} is taken on every loopback address`);
}

/**
 * What a kubelet reports once a pod runs: `status.podIP` (and `podIPs`) and phase `Running`, through the
 * pods' status subresource. The operator's handshake probe and shadow discovery connect to that address.
 *
 * @example
 * await reportPodRunning(core, pod, "127.0.0.23");
 */
export async function reportPodRunning(core: CoreV1Api, pod: V1Pod, ip: string): Promise<void> {
  await core.patchNamespacedPodStatus(
    {
      namespace: pod.metadata!.namespace!,
      name: pod.metadata!.name!,
      body: { status: { phase: "Running", podIP: ip, podIPs: [{ ip }] } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

/**
 * The number of the pod's container port named `name`, in its containers or native sidecars (where the
 * injected proxy holds the MCP port), by the rule every reader of `spec.port` uses.
 *
 * @example
 * containerPortNamed(pod, "mcp"); // 8443
 */
export function containerPortNamed(pod: V1Pod, name: string): number {
  const port = portNumber(pod, name);
  if (port === undefined)
    throw new Error(`pod ${pod.metadata?.name} has no container port named ${name}`);
  return port;
}

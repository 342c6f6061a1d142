/**
 * What the proxy integration tests share: a real operator process (its trust anchor, its issuance API),
 * MCPServers and pods in the real API server, and for each pod the files a kubelet would mount for its
 * `latticeguard-proxy` sidecar: the pod's projected token (a real TokenRequest token bound to the pod)
 * and the trust bundle ConfigMap, kept in step with the ConfigMap as a kubelet keeps a configMap volume.
 * No kubelet runs here, so the proxies themselves run in the test process or as child processes.
 *
 * @example
 * const op = await startProxyOperator();
 * const server = await podFiles({ namespace, pod: "tools-0", serviceAccount: "tools", labels: { app: "tools" },
 *   bundleNamespace: namespace });
 * const args = proxyArgs(op, server, ["--listen=127.0.0.1:0", "--upstream=127.0.0.1:9000", `--mcpserver=${ns}/tools`]);
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, vi } from "vitest";
import { createMcpServerObject, createPolicyObject } from "../../hack/crd-objects.ts";
import { trustBundle, writeVolumeFile } from "../../hack/kubelet.ts";
import { keepIdentity, type KeptIdentity } from "../../operator/agent/keeper.ts";
import { GROUP, VERSION } from "../../operator/api/crd.ts";
import type { MCPServer } from "../../operator/api/types.generated.ts";
import type { StoredAnchor } from "../../operator/identity/anchor/material.ts";
import { decodeAnchors } from "../../operator/identity/anchor/secret.ts";
import { kubeConfig, testNamespace } from "./harness.ts";
import { createWorkload, podToken } from "./identity-harness.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const poll = { timeout: 30_000, interval: 200 };

/** A running operator whose issuance API the proxies use. */
export interface ProxyOperator {
  operator: OperatorProcess;
  /** The operator's own namespace: its anchor Secret and Lease. */
  namespace: string;
  issuerUrl: string;
}

/**
 * Starts an operator in a namespace of its own (so its trust anchor is this file's alone), stopped after
 * the file.
 *
 * @example
 * const op = await startProxyOperator(["--trust-anchor-lifetime=45s", "--max-identity-ttl=9s"]);
 */
export async function startProxyOperator(extraArgs: string[] = []): Promise<ProxyOperator> {
  const { namespace } = await testNamespace("px-op");
  const operator = await startOperatorProcess({ namespace, extraArgs });
  afterAll(() => operator.stop());
  // Ready: caches synced and the issuance API serving, so the proxies' first requests are answered.
  await vi.waitFor(async () => {
    const ready = await fetch(`http://127.0.0.1:${operator.port}/readyz`);
    if (ready.status !== 200) throw new Error("the operator is not ready yet");
  }, poll);
  const started = operator.logs.find((l) => l.msg === "Started operator")!;
  return { operator, namespace, issuerUrl: `https://127.0.0.1:${started.issuerPort as number}` };
}

/**
 * The namespaces of a test, labelled so that the CryptoPolicy created for them selects them alone
 * (deleted after the file).
 *
 * @example
 * const [servers, clients] = await policyNamespaces("px-mcp", ["srv", "cli"], { ttl: "1h" });
 */
export async function policyNamespaces(
  prefix: string,
  names: string[],
  identity: { ttl: string } = { ttl: "1h" },
): Promise<string[]> {
  const label = { "latticeguard.dev/proxy-test": `${prefix}-${Date.now().toString(36)}` };
  const namespaces = [];
  for (const name of names)
    namespaces.push((await testNamespace(`${prefix}-${name}`, label)).namespace);
  const policy = `${label["latticeguard.dev/proxy-test"]}`;
  await createPolicyObject(custom, policy, {
    namespaceSelector: { matchLabels: label },
    identity: { algorithms: ["ML-DSA-65", "ML-DSA-87"], ttl: identity.ttl },
  });
  afterAll(() =>
    custom
      .deleteClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: "cryptopolicies",
        name: policy,
      })
      .catch(() => undefined),
  );
  return namespaces;
}

/**
 * Creates an MCPServer selecting pods labelled `app: <name>` on port `mcp`; returns it as stored.
 *
 * @example
 * await createServer(ns, "tools", { clients: [{ namespace: clientNs }] });
 */
export async function createServer(
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
): Promise<MCPServer> {
  return createMcpServerObject(custom, namespace, name, { app: name }, spec);
}

/** What a pod's proxy sidecar has mounted, and where it writes its identity. */
export interface PodFiles {
  pod: string;
  namespace: string;
  spiffeId: string;
  tokenFile: string;
  bundleFile: string;
  identityDir: string;
}

/**
 * Copies ConfigMap `latticeguard-trust-bundle` of `namespace` into `file` once it exists, then keeps
 * the copy in step (every 250 ms) until the file's tests end, as a kubelet does a configMap volume.
 *
 * @example
 * await mirrorBundle(ns, "/tmp/x/bundle.pem");
 */
export async function mirrorBundle(namespace: string, file: string): Promise<void> {
  const read = () => trustBundle(core, namespace);
  const first = await vi.waitFor(async () => {
    const pem = await read();
    if (!pem) throw new Error(`no trust bundle in namespace ${namespace} yet`);
    return pem;
  }, poll);
  await writeFile(file, first);
  let last = first;
  const timer = setInterval(() => {
    void read().then(async (pem) => {
      if (pem && pem !== last) {
        last = pem;
        await writeVolumeFile(file, pem);
      }
    });
  }, 250);
  afterAll(() => clearInterval(timer));
}

/**
 * Creates the pod (and its ServiceAccount) and writes its projected token and trust bundle for the
 * proxy; `bundleNamespace` is where the operator copied the bundle (a namespace with an MCPServer).
 *
 * @example
 * const files = await podFiles({ namespace, pod: "tools-0", serviceAccount: "tools", labels: { app: "tools" }, bundleNamespace: namespace });
 */
export async function podFiles(options: {
  namespace: string;
  pod: string;
  serviceAccount: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  bundleNamespace: string;
}): Promise<PodFiles> {
  const { namespace, serviceAccount } = options;
  // The service-account controller makes `default` first: the namespace is ready for pods.
  await vi.waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace }), poll);
  const pod = await createWorkload(namespace, {
    name: options.pod,
    serviceAccount,
    labels: options.labels,
    annotations: options.annotations,
  });
  const dir = await mkdtemp(join(tmpdir(), `latticeguard-${options.pod}-`));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, "token");
  await writeFile(tokenFile, await podToken(namespace, serviceAccount, pod));
  const bundleFile = join(dir, "bundle.pem");
  await mirrorBundle(options.bundleNamespace, bundleFile);
  return {
    pod: options.pod,
    namespace,
    spiffeId: `spiffe://cluster.local/ns/${namespace}/sa/${serviceAccount}`,
    tokenFile,
    bundleFile,
    identityDir: join(dir, "identity"),
  };
}

/**
 * The flags every proxy of a pod takes, then `extra`.
 *
 * @example
 * parseProxyFlags(proxyArgs(op, files, ["--connect=mcp/tools", "--listen=127.0.0.1:0", "--upstream=…"]));
 */
export function proxyArgs(op: ProxyOperator, files: PodFiles, extra: string[]): string[] {
  return [
    `--issuer=${op.issuerUrl}`,
    `--token-file=${files.tokenFile}`,
    `--bundle-file=${files.bundleFile}`,
    `--identity-dir=${files.identityDir}`,
    "--metrics-address=127.0.0.1:0",
    ...extra,
  ];
}

/**
 * The trust anchors in the operator's anchor Secret (seeds included), once it holds an active one.
 *
 * @example
 * const [active] = (await anchors(op)).filter((a) => a.state === "active");
 */
export function anchors(op: ProxyOperator): Promise<StoredAnchor[]> {
  return vi.waitFor(async () => {
    const secret = await core.readNamespacedSecret({
      name: "latticeguard-trust-anchor",
      namespace: op.namespace,
    });
    const decoded = decodeAnchors(secret.data);
    if (!decoded.anchors.some((a) => a.state === "active")) throw new Error("no active anchor yet");
    return decoded.anchors;
  }, poll);
}

/**
 * A file of the pod's identity directory, once the proxy wrote it.
 *
 * @example
 * const cert = await identityFile(files, "cert.pem");
 */
export function identityFile(files: PodFiles, name: "cert.pem" | "key.pem" | "bundle.pem") {
  return readFile(join(files.identityDir, name), "utf8");
}

/**
 * The pod's identity, obtained once from the operator's issuance API with the keeper the agent and the
 * proxy run (60 s at most), for a test client that speaks TLS itself.
 *
 * @example
 * const { certificate, keyPem } = await obtainIdentity(op, files);
 */
export async function obtainIdentity(op: ProxyOperator, files: PodFiles): Promise<KeptIdentity> {
  const stop = new AbortController();
  const timeout = setTimeout(() => stop.abort(), 60_000);
  let identity: KeptIdentity | undefined;
  await keepIdentity({
    issuer: new URL(op.issuerUrl),
    tokenFile: files.tokenFile,
    bundleFile: files.bundleFile,
    outDir: files.identityDir,
    algorithm: "ML-DSA-65",
    signal: stop.signal,
    log: pino({ level: "silent" }),
    onWritten: (written) => {
      identity = written;
      stop.abort();
    },
  });
  clearTimeout(timeout);
  if (!identity) throw new Error(`pod ${files.pod} obtained no identity within 60 s`);
  return identity;
}

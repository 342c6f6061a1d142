/**
 * The chart's operator, run as a pod of the chart would run it, for the chart tests: with the Deployment's
 * own arguments and a TokenRequest token for the chart's ServiceAccount (so RBAC is the chart's), its
 * webhook reachable through the chart's Service. There is no kube-proxy or kubelet: the API server
 * reaches the webhook Service through an EndpointSlice that points at this machine's own address
 * (`--enable-aggregator-routing`).
 *
 * @example
 * const { operator, kubeconfig } = await startChartOperator(cp, admin, "latticeguard-system");
 * await tryKubectl(kubeconfig, ["get", "secrets", "-n", "elsewhere"]); // forbidden
 */
import { writeFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type V1Deployment,
} from "@kubernetes/client-node";
import { expect, vi } from "vitest";
import { stringify } from "yaml";
import type { ControlPlane } from "../../hack/control-plane.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

const poll = { timeout: 60_000, interval: 250 };

/** This machine's first non-loopback IPv4 address: an EndpointSlice may not point at loopback. */
export function hostAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  if (!address) throw new Error("the chart test needs a non-loopback IPv4 address on this machine");
  return address;
}

/** A kubeconfig that authenticates with `token` against `cp`. */
export async function tokenKubeconfig(cp: ControlPlane, token: string): Promise<string> {
  const path = join(cp.dir, `sa-${Date.now()}.kubeconfig`);
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "local",
        cluster: {
          server: cp.server,
          "certificate-authority-data": Buffer.from(cp.caPem).toString("base64"),
        },
      },
    ],
    users: [{ name: "sa", user: { token } }],
    contexts: [{ name: "sa", context: { cluster: "local", user: "sa" } }],
    "current-context": "sa",
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}

/** The chart's operator, running and leading. */
export interface ChartOperator {
  operator: OperatorProcess;
  /** The kubeconfig of the chart's ServiceAccount, which the operator runs with. */
  kubeconfig: string;
  /** The chart's Deployment, as installed. */
  deployment: V1Deployment;
  /** The ports of the webhook and the issuance API. */
  webhookPort: number;
  issuerPort: number;
}

/**
 * Starts the operator of the release `latticeguard` installed in `namespace` (see the module notes);
 * resolves once it leads. Stopped after the test file at the latest.
 */
export async function startChartOperator(
  admin: KubeConfig,
  cp: ControlPlane,
  namespace: string,
): Promise<ChartOperator> {
  const deployment = await admin
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: "latticeguard", namespace });
  const core = admin.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: deployment.spec!.template.spec!.serviceAccountName!,
    namespace,
    body: { spec: { expirationSeconds: 3600 } },
  });
  const kubeconfig = await tokenKubeconfig(cp, request.status!.token!);
  // The chart's own arguments; only where things listen differs from a pod.
  const chartArgs = deployment.spec!.template.spec!.containers[0]!.args!.slice(1);
  const operator = await startOperatorProcess({
    kubeconfig,
    namespace,
    extraArgs: [
      ...chartArgs.filter((a) => !a.startsWith("--namespace")),
      "--metrics-bind-address=127.0.0.1:0",
      `--webhook-bind-address=${hostAddress()}:0`,
      "--issuer-bind-address=127.0.0.1:0",
    ],
  });
  const started = operator.logs.find((l) => l.msg === "Started operator")!;
  // What the endpoints controller would write for a ready operator pod.
  await admin.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
    namespace,
    body: {
      metadata: {
        name: "latticeguard-webhook-local",
        labels: { "kubernetes.io/service-name": "latticeguard-webhook" },
      },
      addressType: "IPv4",
      ports: [{ name: "https", port: started.webhookPort as number, protocol: "TCP" }],
      endpoints: [{ addresses: [hostAddress()], conditions: { ready: true } }],
    },
  });
  await vi.waitFor(() => expect(operator.leading()).toBe(true), poll);
  return {
    operator,
    kubeconfig,
    deployment,
    webhookPort: started.webhookPort as number,
    issuerPort: started.issuerPort as number,
  };
}

/**
 * The operator's log lines that mention a refusal by RBAC (`forbidden`, or HTTP 403).
 *
 * @example
 * expect(forbiddenRequests(operator)).toEqual([]);
 */
export function forbiddenRequests(operator: OperatorProcess): Record<string, unknown>[] {
  return operator.logs.filter((l) => /forbidden|\b403\b/i.test(JSON.stringify(l)));
}

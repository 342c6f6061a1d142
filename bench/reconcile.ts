/**
 * Reconcile benchmark against the real local control plane: how long one operator takes to bring N
 * MCPServers from created to KeysReady, how long one reconcile takes, and how many rotations per second it
 * sustains when every server's period is shorter than the operator can keep up with.
 *
 *   node bench/reconcile.ts [--servers=500] [--namespaces=10] [--period=1s] [--seconds=20]
 *
 * Prints a Markdown table; the numbers go into BENCHMARKS.md with the command that produced them.
 */
import { request } from "node:https";
import { parseArgs } from "node:util";
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { startControlPlane } from "../hack/control-plane.ts";
import { installCrds, kubectl } from "../hack/kubectl.ts";
import { GROUP, VERSION } from "../operator/api/crd.ts";
import type { MCPServer } from "../operator/api/types.generated.ts";
import { parseOperatorFlags } from "../operator/cli/flags.ts";
import { logger } from "../operator/log.ts";
import { parseDuration } from "../operator/policy/duration.ts";
import { startOperator } from "../operator/operator.ts";

const { values } = parseArgs({
  options: {
    servers: { type: "string", default: "500" },
    namespaces: { type: "string", default: "10" },
    period: { type: "string", default: "1s" },
    seconds: { type: "string", default: "20" },
  },
});
const servers = Number(values.servers);
const namespaces = Number(values.namespaces);
const seconds = Number(values.seconds);

const sum = async (
  op: Awaited<ReturnType<typeof startOperator>>,
  name: string,
  labels: Record<string, string> = {},
) => {
  const metric = await op.metrics.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((total, v) => total + v.value, 0);
};

logger.level = "error";

/** Mutating requests the API server has served, by verb and resource (its own metrics). */
async function apiWrites(): Promise<Map<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(`${cp.server}/metrics`, {
      headers: { authorization: `Bearer ${cp.adminToken}` },
      ca: cp.caPem,
    });
    req.on("response", (res) => {
      let body = "";
      res
        .setEncoding("utf8")
        .on("data", (c: string) => (body += c))
        .on("end", () => resolve(body));
    });
    req.on("error", reject).end();
  });
  const counts = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1];
    const resource = /resource="([a-z]+)"/.exec(line)?.[1];
    const sub = /subresource="([a-z]*)"/.exec(line)?.[1];
    if (!verb || !resource || !["POST", "PUT", "PATCH", "APPLY", "DELETE"].includes(verb)) continue;
    const key = `${verb} ${resource}${sub ? `/${sub}` : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.split(" ").at(-1)));
  }
  return counts;
}
const cp = await startControlPlane({ log: () => undefined });
try {
  await installCrds(cp.kubeconfigPath);
  await kubectl(cp.kubeconfigPath, ["create", "namespace", "latticeguard-system"]);
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const policy = (rotationPeriod: string, gracePeriod: string) => ({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "CryptoPolicy",
    metadata: { name: "bench" },
    spec: { kem: { algorithms: ["ML-KEM-768"], rotationPeriod, gracePeriod } },
  });
  await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: "cryptopolicies",
    body: policy("1h", "10m"),
  });
  for (let n = 0; n < namespaces; n++)
    await core.createNamespace({ body: { metadata: { name: `bench-${n}` } } });
  const created = Date.now();
  const queue = Array.from({ length: servers }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        await custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: "mcpservers",
          namespace: `bench-${i % namespaces}`,
          body: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: "MCPServer",
            metadata: { name: `s${i}` },
            spec: { selector: { matchLabels: { app: `s${i}` } }, port: "mcp" },
          },
        });
      }
    }),
  );
  const createMs = Date.now() - created;

  const started = Date.now();
  const op = await startOperator(
    parseOperatorFlags(
      [
        `--kubeconfig=${cp.kubeconfigPath}`,
        "--metrics-bind-address=127.0.0.1:0",
        "--leader-elect=false",
        "--webhook-bind-address=off",
        "--issuer-bind-address=off",
        "--log-level=warn",
      ],
      {},
    ),
  );
  let ready = 0;
  while (ready < servers) {
    await new Promise((r) => setTimeout(r, 250));
    const list = (await custom.listClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: "mcpservers",
    })) as { items: MCPServer[] };
    ready = list.items.filter((s) =>
      s.status?.conditions?.some((c) => c.type === "KeysReady" && c.status === "True"),
    ).length;
  }
  const convergeMs = Date.now() - started;
  // Histogram samples carry their series name (`…_sum`, `…_count`) beside the labels.
  const durations = (await op.metrics.reconcileDuration.get()).values as {
    value: number;
    labels: Record<string, string | number>;
    metricName?: string;
  }[];
  const mcp = durations.filter((v) => v.labels.controller === "mcpserver");
  const reconcileSeconds = mcp.find((v) => v.metricName?.endsWith("_sum"))?.value ?? 0;
  const reconcileCount = mcp.find((v) => v.metricName?.endsWith("_count"))?.value ?? 1;

  // Sustained rotations: every server now wants a new key every `period`.
  const period = values.period;
  await custom.replaceClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: "cryptopolicies",
    name: "bench",
    body: {
      ...policy(period, "500ms"),
      metadata: {
        name: "bench",
        resourceVersion: (
          (await custom.getClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural: "cryptopolicies",
            name: "bench",
          })) as { metadata: { resourceVersion: string } }
        ).metadata.resourceVersion,
      },
    },
  });
  await new Promise((r) => setTimeout(r, 3_000));
  const before = await sum(op, "latticeguard_kem_rotations_total", { reason: "Scheduled" });
  const writesBefore = await apiWrites();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const rotations =
    (await sum(op, "latticeguard_kem_rotations_total", { reason: "Scheduled" })) - before;
  const writes = new Map(
    [...(await apiWrites())].map(([k, v]) => [k, v - (writesBefore.get(k) ?? 0)]),
  );
  const rate = rotations / ((Date.now() - t0) / 1000);
  const memory = process.memoryUsage().rss / 1024 / 1024;
  await op.stop();

  console.log(
    `| servers | create (s) | converge to KeysReady (s) | mean MCPServer reconcile (ms) | demanded rotations/s | sustained rotations/s | RSS (MiB, operator + bench) |`,
  );
  console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
  const demanded = servers / (parseDuration(period, "--period") / 1000);
  const row = [
    servers,
    (createMs / 1000).toFixed(1),
    (convergeMs / 1000).toFixed(1),
    ((reconcileSeconds / reconcileCount) * 1000).toFixed(1),
    demanded.toFixed(0),
    rate.toFixed(1),
    memory.toFixed(0),
  ];
  console.log(`| ${row.join(" | ")} |`);
  console.log(
    "\nAPI writes per scheduled rotation, from kube-apiserver's apiserver_request_total:\n",
  );
  for (const [what, n] of [...writes].sort()) {
    if (n > 0) console.log(`- ${what}: ${(n / Math.max(rotations, 1)).toFixed(2)}`);
  }
} finally {
  await cp.stop();
}

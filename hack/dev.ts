/**
 * `make dev`: brings up the local control plane, installs the CRDs, applies the samples and a fast-rotation
 * policy, runs the operator in this process (injecting the proxy image the chart would), registers its
 * admission webhooks and shows the validating one refusing a pod, shows an MCP call going through the
 * proxy the mutating one injected (dev-proxy.ts), and keeps everything running until stopped. `--once`
 * also waits for the first scheduled rotation, shows it, and stops (CI runs it as a smoke test).
 *
 * It stops on SIGINT, SIGTERM or SIGHUP, at any point, start-up included, when its pid file
 * (`--pid-file`) is removed, and when its parent exits (dev-stop.ts says why make needs the last two):
 * first the proxies, then the operator, which talk to the API server, then the control plane, whose
 * directory goes with it. Whatever still runs after 30 s is killed.
 *
 *   node hack/dev.ts [--once] [--dir=.dev] [--pid-file=.dev/dev.pid]
 */
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseOperatorFlags } from "../operator/cli/flags.ts";
import { startOperator, type RunningOperator } from "../operator/operator.ts";
import { startControlPlane } from "./control-plane.ts";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import {
  mutatingWebhookConfiguration,
  validatingWebhookConfiguration,
} from "../webhook/configuration.ts";
import { writeDevCbom } from "./dev-cbom.ts";
import { describeSchedule } from "./dev-schedule.ts";
import { describeWire, startDevShadowServer } from "./dev-wire.ts";
import { issueDemoIdentity } from "./dev-identity.ts";
import { describeProxyDemo, ProxyDemo } from "./dev-proxy.ts";
import { removePidFile, watchForStop, writePidFile } from "./dev-stop.ts";
import { installCrds, kubectl, tryKubectl } from "./kubectl.ts";
import { freePort, leaveSignalsToCaller } from "./process.ts";
import { repoRoot, tools } from "./tools.ts";

const { values: flags } = parseArgs({
  options: {
    once: { type: "boolean", default: false },
    // Where the kubeconfig for the user's other terminals goes; the control plane's own copy dies with it.
    dir: { type: "string", default: join(repoRoot, ".dev") },
    "pid-file": { type: "string" },
  },
});
const once = flags.once;
const devDir = resolve(flags.dir);
const pidFile = flags["pid-file"] && resolve(flags["pid-file"]);

leaveSignalsToCaller();
const abort = new AbortController();
let operator: RunningOperator | undefined;
let proxyDemo: ProxyDemo | undefined;
let shadowServer: { address: string; close(): Promise<void> } | undefined;
let stopping = false;
const shutdown = async (code: number, why?: string) => {
  if (stopping) return;
  stopping = true;
  if (why) console.error(`Stopping LatticeGuard's local control plane: ${why}`);
  setTimeout(() => {
    console.error("Stopping took over 30 s; killing what is left");
    process.exit(code || 1); // process.ts kills every child on exit
  }, 30_000).unref();
  abort.abort();
  await proxyDemo?.stop().catch((e: unknown) => console.error(e));
  await shadowServer?.close().catch((e: unknown) => console.error(e));
  await operator?.stop().catch((e: unknown) => console.error(e));
  const cp = await startup.catch(() => undefined);
  await cp?.stop();
  if (pidFile) await removePidFile(pidFile);
  process.exit(code);
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => void shutdown(0, `received ${signal}`));
}
// Declared before any await, so that a signal handler never finds it uninitialised.
const startup = startControlPlane({ signal: abort.signal });
if (pidFile) await writePidFile(pidFile);
watchForStop({ pidFile, parent: process.ppid }, (why) => void shutdown(0, why));

/** Registers both webhooks by URL with the CA bundle the operator generated into its Secret. */
async function registerWebhooks(kubeconfig: string, port: number): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  let bundle: string | undefined;
  for (let i = 0; i < 100 && !bundle; i++) {
    const secret = await core
      .readNamespacedSecret({ name: "latticeguard-webhook-tls", namespace: "latticeguard-system" })
      .catch(() => undefined);
    const data = secret?.data?.["ca-bundle.crt"];
    if (data) bundle = Buffer.from(data, "base64").toString();
    else await new Promise((r) => setTimeout(r, 200));
  }
  if (!bundle) throw new Error("the operator did not write its webhook certificates");
  const options = {
    name: "latticeguard",
    operatorNamespace: "latticeguard-system",
    url: `https://127.0.0.1:${port}`,
    caBundle: bundle,
  };
  const configurations = [
    validatingWebhookConfiguration(options),
    mutatingWebhookConfiguration(options),
  ];
  const list = { apiVersion: "v1", kind: "List", items: configurations };
  await kubectl(kubeconfig, ["apply", "-f", "-"], JSON.stringify(list));
}

/** The image the Helm chart injects by default: the operator's own, tagged with the chart's version. */
async function chartProxyImage(): Promise<string> {
  const { version } = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as {
    version: string;
  };
  return `ghcr.io/latticeguard/latticeguard:${version}`;
}

/** Tries to create a non-compliant pod under an Enforce policy; returns kubectl's refusal. */
async function admissionDemo(kubeconfig: string): Promise<string> {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "plain-mcp", namespace: "mcp-restricted" },
    spec: {
      containers: [
        { name: "mcp", image: "example.com/mcp:1", ports: [{ name: "mcp", containerPort: 8443 }] },
      ],
    },
  };
  await kubectl(kubeconfig, ["create", "namespace", "mcp-restricted"]);
  await kubectl(kubeconfig, [
    "label",
    "namespace",
    "mcp-restricted",
    "latticeguard.dev/tier=restricted",
  ]);
  // The webhook answers from its caches: give them a moment to see the new namespace label.
  await new Promise((r) => setTimeout(r, 1000));
  const result = await tryKubectl(kubeconfig, ["apply", "-f", "-"], JSON.stringify(pod));
  if (result.code === 0) throw new Error("the admission webhook admitted a pod it must refuse");
  return result.stderr;
}

async function waitForRotation(kubeconfig: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const events = await kubectl(kubeconfig, ["get", "events", "-n", "mcp-demo", "-o", "json"]);
    if (events.includes("(Scheduled)")) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`no scheduled rotation within ${timeoutMs / 1000}s`);
}

try {
  const cp = await startup;
  await mkdir(devDir, { recursive: true });
  const kubeconfig = join(devDir, "kubeconfig");
  await copyFile(cp.kubeconfigPath, kubeconfig);

  await installCrds(kubeconfig);
  await kubectl(kubeconfig, ["create", "namespace", "latticeguard-system"]);
  console.log(await kubectl(kubeconfig, ["apply", "-f", join(repoRoot, "config/samples")]));
  console.log(await kubectl(kubeconfig, ["apply", "-f", join(repoRoot, "config/dev")]));
  // The injected proxies reach the issuance API where it listens here, not at its in-cluster Service.
  const issuerPort = await freePort();
  operator = await startOperator(
    parseOperatorFlags(
      [
        `--kubeconfig=${kubeconfig}`,
        "--metrics-bind-address=127.0.0.1:0",
        "--webhook-bind-address=127.0.0.1:0",
        `--issuer-bind-address=127.0.0.1:${issuerPort}`,
        `--proxy-image=${await chartProxyImage()}`,
        `--proxy-issuer-url=https://127.0.0.1:${issuerPort}`,
        // Every 10 s rather than every 5 minutes, so the demo shows a verdict at once.
        "--probe-interval=10s",
      ],
      {},
    ),
  );
  await registerWebhooks(kubeconfig, operator.webhookPort!);
  const denial = await admissionDemo(kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const { identity, outDir } = await issueDemoIdentity(kc, operator.issuerPort!);
  proxyDemo = new ProxyDemo(kc, kubeconfig);
  const proxied = await proxyDemo.run();
  shadowServer = await startDevShadowServer(kc.makeApiClient(CoreV1Api));
  const wire = await describeWire(kc, shadowServer.address);
  const schedule = await describeSchedule(kc);
  const cbom = await writeDevCbom(kubeconfig, join(devDir, "cbom.json"));

  const { kubectl: kubectlPath } = await tools();
  console.log(
    [
      "",
      `LatticeGuard is running against the local control plane at ${cp.server}.`,
      "The demo servers in namespace mcp-demo rotate their keys every 30 s. In another terminal:",
      `  export KUBECONFIG=${kubeconfig}`,
      `  alias kubectl=${kubectlPath}`,
      "  kubectl get mcpservers -n mcp-demo -w",
      "  kubectl get events -n mcp-demo -w",
      "  kubectl get cryptopolicies",
      `  curl -s http://127.0.0.1:${operator.httpPort}/metrics | grep latticeguard_`,
      "",
      "The admission webhooks are registered. A pod exposing MCP without post-quantum transport, in a",
      "namespace under the `restricted` (Enforce) sample policy, was just refused:",
      `  ${denial.trim().split("\n").join("\n  ")}`,
      "",
      "Pod mcp-demo/weather-0 (selected by MCPServer weather) got its ML-DSA workload identity through the",
      `issuance API, as its agent would: ${identity.spiffeId}, valid until ${identity.notAfter.toISOString()},`,
      `in ${outDir} (key.pem, cert.pem, bundle.pem).`,
      "",
      ...describeProxyDemo(proxied, { running: !once }),
      "",
      ...wire,
      "",
      ...schedule,
      "",
      ...cbom,
      once
        ? ""
        : `\nPress Ctrl-C (or send SIGTERM to process ${process.pid}) to stop it and remove its data.\n`,
    ].join("\n"),
  );
  if (once) {
    await waitForRotation(kubeconfig, 90_000);
    console.log(await kubectl(kubeconfig, ["get", "mcpservers", "-n", "mcp-demo"]));
    console.log(await kubectl(kubeconfig, ["get", "cryptopolicies"]));
    console.log(await kubectl(kubeconfig, ["get", "pods", "-A", "-l", "app=calculator-mcp"]));
    await shutdown(0);
  }
} catch (error) {
  // Once stopping, what was still starting fails as the control plane goes: that is no error.
  if (!stopping) {
    console.error(error instanceof Error ? error.message : error);
    await shutdown(1);
  }
}

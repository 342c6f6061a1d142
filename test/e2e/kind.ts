/**
 * The end-to-end scenario of `make kind-e2e`, against a real cluster that `hack/kind-e2e.sh` created and
 * loaded the image under test into: installs the Helm chart with that image, applies the samples and a
 * fast-rotation policy, then checks what a user would see. Each check waits for its state up to a deadline
 * and fails with what it saw last; on failure the pods, Events and operator logs are printed.
 *
 *   node test/e2e/kind.ts --kubeconfig <path> --image-repository <repository> --image-tag <tag>
 *
 * 1. the chart installs and the operator Deployment rolls out (both replicas ready);
 * 2. MCPServer mcp-demo/weather reports KeysReady, and its active key changes on schedule (the
 *    `config/dev` policy rotates every 30 s), with the new key published in `weather-kem-public`;
 * 3. the admission webhook refuses a pod that exposes MCP without post-quantum transport in a namespace
 *    under the `restricted` (Enforce) sample policy, and admits the same pod where the policy only audits;
 * 4. /metrics, read through `kubectl port-forward` from every replica, counts scheduled rotations and
 *    denied admissions.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { helm, kubectl, tryKubectl } from "../../hack/kubectl.ts";
import { clientTools, repoRoot } from "../../hack/tools.ts";
import { sumSamples } from "./metrics-text.ts";

const RELEASE = "latticeguard";
const NAMESPACE = "latticeguard-system";
const OPERATOR_PODS = `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=operator`;
const DEMO = "mcp-demo";
const RESTRICTED = "mcp-restricted";

/** Progress and results go to stdout, failures and diagnostics to stderr. */
const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

const { values } = parseArgs({
  options: {
    kubeconfig: { type: "string" },
    "image-repository": { type: "string", default: "ghcr.io/latticeguard/latticeguard" },
    "image-tag": { type: "string" },
  },
});
if (!values.kubeconfig || !values["image-tag"]) {
  err(
    "Usage: node test/e2e/kind.ts --kubeconfig <path> --image-tag <tag> [--image-repository <r>]",
  );
  process.exit(2);
}
const kubeconfig = values.kubeconfig;
const k = (...args: string[]) => kubectl(kubeconfig, args);
const started = Date.now();
const step = (message: string) =>
  out(`e2e [${Math.round((Date.now() - started) / 1000)}s] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `attempt` until it returns a value other than undefined; throws with its last error at the deadline. */
async function eventually<T>(what: string, seconds: number, attempt: () => Promise<T | undefined>) {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown = "nothing yet";
  while (Date.now() < deadline) {
    try {
      const result = await attempt();
      if (result !== undefined) return result;
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    await sleep(2000);
  }
  throw new Error(`${what}: not within ${seconds}s; last: ${String(last)}`);
}

/** A pod that exposes MCP (a port named `mcp`) and declares no post-quantum transport. */
function plainMcpPod(namespace: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "plain-mcp", namespace },
    spec: {
      containers: [
        { name: "mcp", image: "example.com/mcp:1", ports: [{ name: "mcp", containerPort: 8443 }] },
      ],
    },
  });
}

/** /metrics of one operator pod, read through `kubectl port-forward` on a free local port. */
async function scrape(pod: string): Promise<string> {
  const { kubectl: bin } = await clientTools();
  const forward = spawn(bin, ["port-forward", "-n", NAMESPACE, `pod/${pod}`, ":http-metrics"], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let output = "";
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
        if (match) resolve(match[1]!);
      };
      forward.stdout.on("data", read);
      forward.stderr.on("data", read);
      forward.once("exit", (code) => reject(new Error(`port-forward exited (${code}): ${output}`)));
    });
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (!response.ok) throw new Error(`GET /metrics on ${pod}: HTTP ${response.status}`);
    return await response.text();
  } finally {
    forward.kill();
  }
}

async function installChart(): Promise<void> {
  step(`Installing charts/latticeguard with ${values["image-repository"]}:${values["image-tag"]}`);
  await helm(kubeconfig, [
    "upgrade",
    "--install",
    RELEASE,
    join(repoRoot, "charts/latticeguard"),
    `--namespace=${NAMESPACE}`,
    "--create-namespace",
    `--set=image.repository=${values["image-repository"]}`,
    `--set=image.tag=${values["image-tag"]}`,
    // The image was loaded into the nodes; never fetch another one under the same name.
    "--set=image.pullPolicy=Never",
    "--wait",
    "--timeout=5m",
  ]);
  await k("rollout", "status", `deployment/${RELEASE}`, `--namespace=${NAMESPACE}`, "--timeout=3m");
  const image = await k(
    "get",
    "deployment",
    RELEASE,
    `--namespace=${NAMESPACE}`,
    "-o=jsonpath={.spec.template.spec.containers[0].image}",
  );
  if (image !== `${values["image-repository"]}:${values["image-tag"]}`) {
    throw new Error(`the operator runs ${image}, not the image under test`);
  }
}

async function applySamples(): Promise<void> {
  step("Applying config/samples and the 30 s rotation policy of config/dev");
  // The operator patches the webhook's caBundle as it starts: until then the API server refuses.
  await eventually("applying the samples", 60, () =>
    k("apply", "-f", join(repoRoot, "config/samples"), "-f", join(repoRoot, "config/dev")),
  );
}

async function checkRotation(): Promise<void> {
  step("Waiting for MCPServer mcp-demo/weather to report KeysReady");
  await k(
    "wait",
    "--for=condition=KeysReady",
    "mcpserver/weather",
    `--namespace=${DEMO}`,
    "--timeout=2m",
  );
  const activeKey = () =>
    k(
      "get",
      "mcpserver",
      "weather",
      `--namespace=${DEMO}`,
      "-o=jsonpath={.status.kem.activeKeyId}",
    );
  const first = await activeKey();
  if (!/^mlkem768-[0-9a-f]{16}$/.test(first))
    throw new Error(`unexpected active key id "${first}"`);
  step(`Active key ${first}; waiting for the scheduled rotation`);
  const second = await eventually(`a scheduled rotation away from ${first}`, 120, async () => {
    const id = await activeKey();
    return id && id !== first ? id : undefined;
  });
  await eventually(`${second} published as the active key`, 30, async () => {
    const json = await k(
      "get",
      "configmap",
      "weather-kem-public",
      `--namespace=${DEMO}`,
      "-o=jsonpath={.data.keys\\.json}",
    );
    const keys = JSON.parse(json) as { keyId: string; state: string }[];
    return keys.some((key) => key.keyId === second && key.state === "active") ? true : undefined;
  });
  step(`Rotated to ${second}`);
}

async function checkAdmission(): Promise<void> {
  step("Checking that the webhook refuses a plain MCP pod under the Enforce policy");
  await kubectl(
    kubeconfig,
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: RESTRICTED, labels: { "latticeguard.dev/tier": "restricted" } },
    }),
  );
  // Server-side dry runs go through admission (the webhook declares sideEffects NoneOnDryRun) and store
  // nothing, so they can be repeated until the webhook's caches have seen the new namespace.
  const create = (namespace: string) =>
    tryKubectl(kubeconfig, ["create", "--dry-run=server", "-f", "-"], plainMcpPod(namespace));
  const denial = await eventually("a denial", 60, async () => {
    const result = await create(RESTRICTED);
    if (result.code === 0) throw new Error("admitted");
    // One cause per field; a webhook that could not be called would say "failed calling webhook".
    if (!result.stderr.includes("metadata.annotations[latticeguard.dev/transport]: must name")) {
      throw new Error(result.stderr.trim());
    }
    return result.stderr.trim();
  });
  step(`Refused: ${denial}`);
  const audited = await create(DEMO);
  if (audited.code !== 0) {
    throw new Error(`the same pod must be admitted in ${DEMO} (Audit): ${audited.stderr.trim()}`);
  }
}

async function checkMetrics(): Promise<void> {
  step("Reading /metrics of every replica through kubectl port-forward");
  const pods = (
    await k("get", "pods", `--namespace=${NAMESPACE}`, `--selector=${OPERATOR_PODS}`, "-o=name")
  )
    .split("\n")
    .filter(Boolean)
    .map((name) => name.replace(/^pod\//, ""));
  if (pods.length === 0) throw new Error("no operator pods");
  const texts = await Promise.all(pods.map(scrape));
  const total = (name: string, labels: Record<string, string>) =>
    texts.reduce((sum, text) => sum + sumSamples(text, name, labels), 0);
  const rotations = total("latticeguard_kem_rotations_total", { reason: "Scheduled" });
  const denials = total("latticeguard_admission_reviews_total", {
    resource: "pods",
    decision: "denied",
  });
  step(`Scheduled rotations: ${rotations}; denied pod admissions: ${denials}`);
  if (!(rotations > 0))
    throw new Error('latticeguard_kem_rotations_total{reason="Scheduled"} is not > 0');
  if (!(denials > 0))
    throw new Error('latticeguard_admission_reviews_total{decision="denied"} is not > 0');
}

/** What to read when something failed. */
async function diagnostics(): Promise<void> {
  for (const args of [
    ["get", "pods", "--all-namespaces", "-o=wide"],
    ["get", "events", `--namespace=${NAMESPACE}`, "--sort-by=.lastTimestamp"],
    ["get", "mcpservers,cryptopolicies", "--all-namespaces"],
    ["logs", `--namespace=${NAMESPACE}`, `--selector=${OPERATOR_PODS}`, "--tail=40", "--prefix"],
  ]) {
    const result = await tryKubectl(kubeconfig, args);
    err(`--- kubectl ${args.join(" ")}\n${result.stdout}${result.stderr}`);
  }
}

try {
  await installChart();
  await applySamples();
  await checkRotation();
  await checkAdmission();
  await checkMetrics();
  step("Passed");
} catch (error) {
  err(`e2e: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  await diagnostics();
  process.exitCode = 1;
}

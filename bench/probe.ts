/**
 * The handshake probe at scale: `--servers` MCPServers (one pod each, across `--namespaces` namespaces)
 * whose pods' `status.podIP` is 127.0.0.1 and whose `mcp` ports point at `--endpoints` loopback TLS 1.3
 * servers (post-quantum groups only, an ML-DSA-65 certificate from a test anchor). The operator runs as a
 * child process against a fresh local control plane with `--probe-interval`; for each of `--rounds`
 * probe rounds the report gives its wall time (from the operator's "Finished handshake probe round"
 * log line), handshakes per second (two per endpoint: post-quantum, then classical-only), the operator's
 * CPU seconds and peak RSS during the round, and the API server's writes during it (the probe's
 * `status.transport` applies and the reconciler's condition updates they cause).
 *
 * `--cpu-prof=DIR` writes the operator's CPU profile there (summarise it with `bench/profile-top.ts`);
 * `--tree=DIR` runs the operator of another tree (a `git archive` of an earlier commit) for a before
 * and after on the same machine.
 *
 *   node bench/probe.ts [--servers=1000] [--namespaces=10] [--endpoints=4] [--rounds=3] [--interval=30s]
 *     [--cpu-prof=DIR] [--tree=.]
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startControlPlane } from "../hack/control-plane.ts";
import { installCrds } from "../hack/kubectl.ts";
import { API_VERSION, GROUP, VERSION } from "../operator/api/crd.ts";
import { testAnchor, testWorkload } from "../operator/crypto/testdata/identities.ts";
import { limiter } from "../operator/probe/limit.ts";
import { benchHeader } from "./environment.ts";
import { probeServers } from "./probe-servers.ts";
import { parseVariant, startOperatorChild } from "./reconcile-operator.ts";
import {
  ProcessSampler,
  apiClient,
  apiCounts,
  apiDelta,
  parseMetrics,
  totalWrites,
  type ApiCounts,
} from "./reconcile-probes.ts";

const { values } = parseArgs({
  options: {
    servers: { type: "string", default: "1000" },
    namespaces: { type: "string", default: "10" },
    endpoints: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    interval: { type: "string", default: "30s" },
    "cpu-prof": { type: "string" },
    tree: { type: "string", default: "." },
  },
});
const count = (name: "servers" | "namespaces" | "endpoints" | "rounds") => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer`);
  return n;
};
const [servers, namespaces, endpointCount, rounds] = [
  count("servers"),
  count("namespaces"),
  count("endpoints"),
  count("rounds"),
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => process.stderr.write(`[probe] ${line}\n`);

const anchor = await testAnchor();
const identity = await testWorkload(anchor, { serviceAccount: "bench" });
// In a child process, so that the servers' CPU is neither this process's nor counted as the operator's.
const listening = await probeServers(identity, endpointCount, ["X25519MLKEM768"]);
say("starting a control plane");
const cp = await startControlPlane({ log: () => undefined });
const api = apiClient({ server: cp.server, token: cp.adminToken, ca: cp.caPem, maxSockets: 32 });
const must = async (what: string, p: Promise<{ status: number; body: string }>) => {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return r;
};
await installCrds(cp.kubeconfigPath);
for (const name of [
  "latticeguard-system",
  ...Array.from({ length: namespaces }, (_, n) => `bench-${n}`),
])
  await must("namespace", api("POST", "/api/v1/namespaces", { metadata: { name } }));
say(`creating ${servers} MCPServers and pods`);
const limit = limiter(16);
await Promise.all(
  Array.from({ length: servers }, (_, i) =>
    limit(async () => {
      const namespace = `bench-${i % namespaces}`;
      const name = `s${i}`;
      const port = listening.ports[i % endpointCount]!;
      await must(
        "mcpserver",
        api("POST", `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/mcpservers`, {
          apiVersion: API_VERSION,
          kind: "MCPServer",
          metadata: { name, namespace },
          spec: {
            selector: { matchLabels: { app: name } },
            port: "mcp",
            proxy: { mode: "Disabled" },
          },
        }),
      );
      const pods = `/api/v1/namespaces/${namespace}/pods`;
      await must(
        "pod",
        api("POST", pods, {
          metadata: { name: `${name}-0`, labels: { app: name } },
          spec: {
            containers: [
              { name: "mcp", image: "mcp", ports: [{ name: "mcp", containerPort: port }] },
            ],
          },
        }),
      );
      const status = { status: { podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }] } };
      await must(
        "pod status",
        api("PATCH", `${pods}/${name}-0/status`, status, "application/merge-patch+json"),
      );
    }),
  ),
);
const variant = parseVariant(
  `probe=${values.tree}:--probe-interval=${values.interval} --probe-concurrency=8 --probe-timeout=5s --log-level=info`,
);
const op = await startOperatorChild(variant, {
  kubeconfig: cp.kubeconfigPath,
  tag: "probe",
  ...(values["cpu-prof"] && { cpuProfDir: values["cpu-prof"] }),
});
const sampler = new ProcessSampler({ operator: op.pid, servers: listening.pid });
sampler.start(500);
// With the 1-minute load average: the machine is shared, so each row says how busy it was.
const apiSamples: { at: number; load: number; counts: ApiCounts }[] = [];
const sampleApi = async () =>
  apiSamples.push({
    at: Date.now(),
    load: loadavg()[0]!,
    counts: apiCounts(parseMetrics((await must("metrics", api("GET", "/metrics"))).body)),
  });
const apiTimer = setInterval(() => void sampleApi(), 500);
type Round = { time: number; seconds: number; endpoints: number; written: number };
const finished = (): Round[] =>
  readFileSync(op.logPath, "utf8")
    .split("\n")
    .filter((l) => l.includes('"Finished handshake probe round"'))
    .map((l) => JSON.parse(l) as Round);
while (finished().length < rounds) await sleep(500);
// A sample after the last round's writes settle.
await sleep(1500);
clearInterval(apiTimer);
sampler.stop();
await sampleApi();

const nearest = (at: number, before: boolean) => {
  const list = apiSamples.filter((s) => (before ? s.at <= at : s.at >= at));
  return (before ? list.at(-1) : list[0]) ?? apiSamples.at(before ? 0 : -1)!;
};
console.log(
  benchHeader(`Handshake probe: ${servers} MCPServers on ${endpointCount} loopback endpoints`),
);
console.log(
  "| round | wall (s) | endpoints | handshakes/s | status writes (probe) | API writes in window | operator CPU s | servers CPU s | peak RSS (MiB) | load average |",
);
console.log(
  "| ----: | -------: | --------: | -----------: | ---------------------: | -------------------: | -------------: | ------------: | -------------: | -----------: |",
);
finished()
  .slice(0, rounds)
  .forEach((r, i) => {
    const end = r.time;
    const start = end - r.seconds * 1000;
    const writes = apiDelta(nearest(start, true).counts, nearest(end + 1000, false).counts);
    console.log(
      `| ${i + 1} | ${r.seconds.toFixed(2)} | ${r.endpoints} | ${((2 * r.endpoints) / r.seconds).toFixed(0)} | ${r.written} | ${totalWrites(writes)} (${[...writes.writes].map(([k, v]) => `${k} ${v}`).join(", ")}) | ${sampler.cpuSeconds("operator", start - 500, end + 500).toFixed(2)} | ${sampler.cpuSeconds("servers", start - 500, end + 500).toFixed(2)} | ${sampler.peakRssMiB("operator", start - 500, end + 500).toFixed(0)} | ${nearest(end, true).load.toFixed(1)} |`,
    );
  });
await op.stop();
api.close();
await cp.stop();
await listening.close();

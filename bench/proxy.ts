/**
 * The proxy benchmark (issue: post-quantum transport by construction): what LatticeGuard's proxy pair
 * costs an MCP call, beside the same call made directly and through a classical TLS pair, in one run.
 *
 * Three paths to one MCP upstream, each process on its own event loop (proxy-process.ts):
 *
 *   direct     client → upstream (plain HTTP on loopback)
 *   classical  client → outbound proxy ─TLS 1.3, X25519, ECDSA P-256 mutual auth→ inbound proxy → upstream
 *   pq         client → outbound proxy ─TLS 1.3, X25519MLKEM768, ML-DSA-65 mutual auth→ inbound proxy → upstream
 *
 * Both pairs are LatticeGuard's proxy code (the classical one only with other groups and certificates), so
 * the difference is the cryptography. The load (load.ts `rate`) sends `--rate` keep-alive MCP `tools/call`
 * requests per second to each path, evenly spaced and interleaved, for `--duration` seconds after a 1 s
 * warm-up; the proxies' CPU time per request is read around the measured part. Then handshakes: for each
 * group, `--handshakes` new mutual-TLS connections one after the other to the inbound proxy, timed from
 * connect to the client's `secureConnect`.
 *
 *   node bench/proxy.ts [--duration=10] [--rate=200] [--connections=8] [--handshakes=200] [--upstream=lean|sdk]
 */
import { connect } from "node:tls";
import { parseArgs } from "node:util";
import { KEY_EXCHANGE_GROUPS } from "../operator/api/algorithms.ts";
import type { ProxyIdentity } from "../operator/proxy/identity.ts";
import { benchHeader } from "./environment.ts";
import { loadFrom, type TargetResult } from "./load.ts";
import { BENCH_SERVER, benchIdentities, type IdentityPair } from "./proxy-identities.ts";
import { startBenchProcess, type BenchProcess } from "./proxy-process.ts";
import { quantile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    rate: { type: "string", default: "200" },
    connections: { type: "string", default: "8" },
    handshakes: { type: "string", default: "200" },
    upstream: { type: "string", default: "lean" },
  },
});
const number = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`--${name} must be a positive number`);
  return n;
};
const duration = number("duration");
const rate = number("rate");
const connections = number("connections");
const handshakes = number("handshakes");
const upstreamKind = values.upstream;
if (upstreamKind !== "lean" && upstreamKind !== "sdk")
  throw new RangeError("--upstream must be lean or sdk");

const CLASSICAL = ["X25519"];
const PQ = ["X25519MLKEM768"];

/** An outbound + inbound pair in front of the upstream; resolves with both. */
async function pair(ids: IdentityPair, groups: string[], upstreamPort: number) {
  const inbound = await startBenchProcess({
    role: "inbound",
    identity: ids.server,
    groups,
    upstreamPort,
  });
  const outbound = await startBenchProcess({
    role: "outbound",
    identity: ids.client,
    groups,
    upstreamPort: inbound.port,
  });
  return { inbound, outbound };
}

/** Milliseconds from connect to `secureConnect` of one mutual-TLS handshake offering `group`. */
function handshake(port: number, client: ProxyIdentity, group: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({
      host: "127.0.0.1",
      port,
      servername: BENCH_SERVER.dnsName,
      cert: client.certificate,
      key: client.keyPem,
      ca: client.bundle,
      minVersion: "TLSv1.3",
      ecdhCurve: group,
      session: undefined,
    });
    socket.once("secureConnect", () => {
      const ms = performance.now() - started;
      socket.destroy();
      resolve(ms);
    });
    socket.once("error", reject);
  });
}

async function handshakeRow(port: number, client: ProxyIdentity, group: string, cert: string) {
  for (let i = 0; i < 10; i++) await handshake(port, client, group); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < handshakes; i++) samples.push(await handshake(port, client, group));
  samples.sort((a, b) => a - b);
  const f = (q: number) => quantile(samples, q).toFixed(2);
  return `| ${group} | ${cert} | ${handshakes} | ${f(0.5)} | ${f(0.99)} |`;
}

const ms = (x: number) => x.toFixed(2);

function loadRow(name: string, r: TargetResult, cpuPerRequestUs: number | undefined): string {
  const sorted = [...r.samples].sort((a, b) => a - b);
  const cpu = cpuPerRequestUs === undefined ? "–" : `${Math.round(cpuPerRequestUs)}`;
  return (
    `| ${name} | ${r.rps.toFixed(0)} | ${ms(quantile(sorted, 0.5))} | ${ms(quantile(sorted, 0.99))} | ` +
    `${r.errors + r.non2xx} | ${cpu} |`
  );
}

const p99 = (r: TargetResult) =>
  quantile(
    [...r.samples].sort((a, b) => a - b),
    0.99,
  );

async function main(): Promise<void> {
  const { pq, classical } = await benchIdentities();
  const upstream = await startBenchProcess({ role: "upstream", upstream: upstreamKind as "lean" });
  const classicalPair = await pair(classical, CLASSICAL, upstream.port);
  const pqPair = await pair(pq, PQ, upstream.port);
  const proxies: BenchProcess[][] = [
    [classicalPair.outbound, classicalPair.inbound],
    [pqPair.outbound, pqPair.inbound],
  ];
  const url = (port: number) => `http://127.0.0.1:${port}/mcp`;
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "echo", arguments: { text: "quantum-safe" } },
  });
  const cpu = async () => Promise.all(proxies.map((p) => Promise.all(p.map((x) => x.cpuMicros()))));
  let before: number[][] = [];
  const { targets } = await loadFrom(
    {
      targets: [url(upstream.port), url(classicalPair.outbound.port), url(pqPair.outbound.port)],
      body,
      headers: { accept: "application/json, text/event-stream" },
      duration,
      connections,
      shape: "rate",
      rate,
    },
    { onMeasuring: () => void cpu().then((c) => (before = c)) },
  );
  const after = await cpu();
  const [direct, classicalResult, pqResult] = targets as [TargetResult, TargetResult, TargetResult];
  const perRequest = (i: number, r: TargetResult) =>
    (after[i]!.reduce((a, b) => a + b, 0) - before[i]!.reduce((a, b) => a + b, 0)) /
    (r.rps * duration);

  const lines = [
    benchHeader("## Proxy: keep-alive MCP calls, direct, classical TLS pair, PQ proxy pair"),
    `${rate} MCP \`tools/call\` requests/s to each path at once (interleaved, open loop), ` +
      `${connections} keep-alive connections per path, ${duration} s measured; upstream: ${upstreamKind}.`,
    "",
    "| path | requests/s | p50 ms | p99 ms | errors | proxy CPU µs/request (both proxies) |",
    "| --- | --- | --- | --- | --- | --- |",
    loadRow("direct (plain HTTP)", direct, undefined),
    loadRow(
      "classical TLS pair (X25519, ECDSA P-256)",
      classicalResult,
      perRequest(0, classicalResult),
    ),
    loadRow("PQ proxy pair (X25519MLKEM768, ML-DSA-65)", pqResult, perRequest(1, pqResult)),
    "",
    `PQ pair p99 / classical pair p99: **${(p99(pqResult) / p99(classicalResult)).toFixed(2)}** ` +
      `(target ≤ 1.3); p50 ratio ${(
        quantile(
          [...pqResult.samples].sort((a, b) => a - b),
          0.5,
        ) /
        quantile(
          [...classicalResult.samples].sort((a, b) => a - b),
          0.5,
        )
      ).toFixed(2)}.`,
    "",
  ];
  console.log(lines.join("\n"));

  // Handshakes: PQ groups against a PQ inbound offering all of them; X25519 against the classical one.
  const allGroups = await startBenchProcess({
    role: "inbound",
    identity: pq.server,
    groups: [...KEY_EXCHANGE_GROUPS],
    upstreamPort: upstream.port,
  });
  const rows = [
    "| group | certificates | handshakes | p50 ms | p99 ms |",
    "| --- | --- | --- | --- | --- |",
    await handshakeRow(classicalPair.inbound.port, classical.client, "X25519", "ECDSA P-256"),
  ];
  for (const group of KEY_EXCHANGE_GROUPS)
    rows.push(await handshakeRow(allGroups.port, pq.client, group, "ML-DSA-65 (anchor ML-DSA-87)"));
  console.log(
    `Mutual-TLS handshakes to the inbound proxy, one at a time, connect → secureConnect:\n\n${rows.join("\n")}\n`,
  );
  for (const p of [upstream, allGroups, ...proxies.flat()]) p.stop();
}

await main();

/**
 * The handshake probe's own cost, without a cluster: `--endpoints` probes (two handshakes each,
 * post-quantum then classical-only, through `probeEndpoint`) at `--concurrency` against 4 loopback TLS 1.3
 * servers (X25519MLKEM768 only, an ML-DSA-65 certificate from a test anchor) that run in a child process
 * of their own, so the servers' CPU is not the prober's. `--trust=round` builds the TLS contexts once per
 * round, as the operator does; `--trust=connection` builds one per connection, as it did before. Rounds
 * alternate the two when `--trust=both`.
 *
 *   node bench/probe-handshakes.ts [--endpoints=500] [--concurrency=8] [--rounds=3] [--trust=both]
 *
 * @example
 * node bench/probe-handshakes.ts --endpoints=1000 --rounds=4
 */
import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { testAnchor, testWorkload } from "../operator/crypto/testdata/identities.ts";
import { probeEndpoint } from "../operator/probe/endpoint.ts";
import { limiter } from "../operator/probe/limit.ts";
import { trustContexts } from "../operator/probe/trust-contexts.ts";
import { benchHeader } from "./environment.ts";
import { probeServers } from "./probe-servers.ts";

const { values } = parseArgs({
  options: {
    endpoints: { type: "string", default: "500" },
    concurrency: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    trust: { type: "string", default: "both" },
  },
});

const number = (name: "endpoints" | "concurrency" | "rounds") => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer`);
  return n;
};
const modes = values.trust === "both" ? ["connection", "round"] : [values.trust];
if (!modes.every((m) => m === "round" || m === "connection"))
  throw new RangeError("--trust must be round, connection or both");
const [endpoints, concurrency, rounds] = [
  number("endpoints"),
  number("concurrency"),
  number("rounds"),
];
const anchor = await testAnchor();
const identity = await testWorkload(anchor, { serviceAccount: "bench" });
const servers = await probeServers(identity, 4, ["X25519MLKEM768"]);
const ports = servers.ports;
const ca = [anchor.certificate];
console.log(benchHeader(`Probe handshakes: ${endpoints} endpoints at concurrency ${concurrency}`));
console.log("| round | trust contexts | wall (s) | handshakes/s | prober CPU ms per endpoint |");
console.log("| ----: | -------------- | -------: | -----------: | -------------------------: |");
for (let round = 1; round <= rounds; round++)
  for (const mode of modes) {
    const limit = limiter(concurrency);
    const shared = trustContexts(ca);
    const started = performance.now();
    const cpu = cpuUsage();
    const results = await Promise.all(
      Array.from({ length: endpoints }, (_, i) =>
        limit(() =>
          probeEndpoint(
            { host: "127.0.0.1", port: ports[i % ports.length]! },
            { trust: mode === "round" ? shared : trustContexts(ca), timeoutMs: 5000 },
          ),
        ),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const used = cpuUsage(cpu);
    const bad = results.filter((r) => r.outcome !== "Verified").length;
    if (bad) throw new Error(`${bad} endpoints were not Verified`);
    console.log(
      `| ${round} | per ${mode} | ${seconds.toFixed(2)} | ${((2 * endpoints) / seconds).toFixed(0)} | ${((used.user + used.system) / 1000 / endpoints).toFixed(2)} |`,
    );
  }
await servers.close();

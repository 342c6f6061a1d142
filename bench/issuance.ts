/**
 * Issuance benchmark: identities per second and latency of the real issuance API against a real local
 * control plane (hack/control-plane.ts: every request makes a real TokenReview and a real pod GET), with
 * load from a second process: each request is a new TLS 1.3 connection (X25519MLKEM768, the issuer's
 * ML-DSA certificate), as agents make them, with a token bound to one of the pods and an ML-DSA CSR.
 *
 * Signature backends. The X.509 layer (verifyCsr, issueCertificate) signs and verifies through node's
 * WebCrypto, that is OpenSSL: `signatureBackend` does not reach it. To measure issuance with noble, this
 * benchmark (and only it) routes WebCrypto's ML-DSA `sign` (for the anchor's key) and `verify` to
 * `nobleSignature` for the `noble` row (issuance-backends.ts). TLS handshakes stay in OpenSSL in both
 * rows.
 *
 *   node bench/issuance.ts [--duration=10] [--rounds=2] [--connections=8] [--pods=10]
 *
 * `--duration` is each backend's measured time, split over `--rounds` rounds that alternate which backend
 * goes first, so that load from elsewhere on the machine falls on both.
 *
 * Prints the exact command and the machine first, then Markdown tables: the raw ML-DSA rates of each
 * backend (measured in the same run, before the load), then identities issued per second and latency per
 * backend, beside the raw rates of the operations one issuance performs (an ML-DSA-87 signature by the
 * anchor, an ML-DSA-65 verification of the CSR).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  type V1Namespace,
} from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { startControlPlane } from "../hack/control-plane.ts";
import { installCrds } from "../hack/kubectl.ts";
import { API_VERSION, GROUP, VERSION } from "../operator/api/crd.ts";
import type { CryptoPolicy, MCPServer } from "../operator/api/types.generated.ts";
import { createCsr, nativeSignature, type SignatureBackendName } from "../operator/crypto/index.ts";
import { DEFAULT_AUDIENCE, startIssuer } from "../operator/identity/issuer/issuer.ts";
import { createStaticAuthority } from "../operator/identity/issuer/static-authority.ts";
import { postToIssuer } from "../operator/identity/issuer/test-client.ts";
import { Informer } from "../operator/runtime/informer.ts";
import { benchHeader } from "./environment.ts";
import { rawRates, useBackend } from "./issuance-backends.ts";
import { quantile } from "./stats.ts";

interface LoadJob {
  port: number;
  trust: string[];
  tokens: string[];
  csrs: string[];
  seconds: number;
  connections: number;
}
interface LoadResult {
  /** Every response time (ms), answered or not. */
  latencies: number[];
  /** Measured seconds. */
  elapsed: number;
  statuses: Record<string, number>;
}

/** The load process: `connections` loops posting until the deadline, one new connection per request. */
async function runLoad(job: LoadJob): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let n = 0;
  const loop = async (until: number, record: boolean) => {
    while (Date.now() < until) {
      const i = n++;
      const started = performance.now();
      const r = await postToIssuer({
        port: job.port,
        trust: job.trust,
        token: job.tokens[i % job.tokens.length],
        body: job.csrs[i % job.csrs.length],
      });
      if (!record) continue;
      latencies.push(performance.now() - started);
      const key = r.status ? String(r.status) : (r.error ?? "error");
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  const run = (seconds: number, record: boolean) => {
    const until = Date.now() + seconds * 1000;
    return Promise.all(Array.from({ length: job.connections }, () => loop(until, record)));
  };
  await run(1, false); // warm-up
  const started = performance.now();
  await run(job.seconds, true);
  const elapsed = (performance.now() - started) / 1000;
  return { latencies, elapsed, statuses };
}

function loadFrom(job: LoadJob): Promise<LoadResult> {
  const child = fork(fileURLToPath(import.meta.url), ["--load"], { stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.once("message", (result) => resolve(result as LoadResult));
    child.once("exit", (code) => code !== 0 && reject(new Error(`load process exited ${code}`)));
    child.send(job);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "8" },
      rounds: { type: "string", default: "2" },
      pods: { type: "string", default: "10" },
    },
  });
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  const podCount = Number(values.pods);
  console.log(benchHeader("Issuance benchmark"));

  const raw = rawRates();

  const cp = await startControlPlane({ log: () => undefined });
  try {
    await installCrds(cp.kubeconfigPath);
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const namespace = "bench";
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await custom.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: "cryptopolicies",
      body: {
        apiVersion: API_VERSION,
        kind: "CryptoPolicy",
        metadata: { name: "bench" },
        spec: { identity: { algorithms: ["ML-DSA-65", "ML-DSA-87"], ttl: "1h" } },
      },
    });
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: "mcpservers",
      body: {
        apiVersion: API_VERSION,
        kind: "MCPServer",
        metadata: { name: "search" },
        spec: { selector: { matchLabels: { app: "search" } }, port: "mcp" },
      },
    });
    const tokens: string[] = [];
    for (let i = 0; i < podCount; i++) {
      const sa = `search-${i}`;
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
      const pod = await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: sa, labels: { app: "search" } },
          spec: { serviceAccountName: sa, containers: [{ name: "c", image: "x" }] },
        },
      });
      const bound = { kind: "Pod", apiVersion: "v1", name: sa, uid: pod.metadata!.uid };
      const request = await core.createNamespacedServiceAccountToken({
        name: sa,
        namespace,
        body: {
          spec: { audiences: [DEFAULT_AUDIENCE], expirationSeconds: 3600, boundObjectRef: bound },
        },
      });
      if (!request.status?.token) throw new Error("TokenRequest returned no token");
      tokens.push(request.status.token);
    }
    const csrs = await Promise.all(
      Array.from({ length: 20 }, () =>
        createCsr({
          key: { algorithm: "ML-DSA-65", seed: nativeSignature.generateSeed("ML-DSA-65") },
        }),
      ),
    );

    const log = pino({ level: "silent" });
    const watch = <T extends KubernetesObject>(apiVersion: string, plural: string) =>
      new Informer<T>(kc, { resource: { apiVersion, plural }, log });
    const caches = {
      servers: watch<MCPServer>(API_VERSION, "mcpservers"),
      policies: watch<CryptoPolicy>(API_VERSION, "cryptopolicies"),
      namespaces: watch<V1Namespace>("v1", "namespaces"),
    };
    for (const i of Object.values(caches)) i.start();
    await Promise.all(Object.values(caches).map((i) => i.whenSynced()));
    const authority = await createStaticAuthority({ algorithm: "ML-DSA-87" });
    const issuer = await startIssuer({
      kc,
      address: { host: "127.0.0.1", port: 0 },
      caches,
      authority,
      trustDomain: "cluster.local",
      servingNames: [],
      registry: new Registry(),
      log,
    });
    await issuer.whenServing();
    // Rounds alternate the backends (native first, then noble first, …) so that load from elsewhere on
    // the machine falls on both; each backend's rounds are pooled.
    const pooled = {
      native: { latencies: [] as number[], elapsed: 0, statuses: {} as Record<string, number> },
      noble: { latencies: [] as number[], elapsed: 0, statuses: {} as Record<string, number> },
    };
    for (let round = 0; round < rounds; round++) {
      for (const backend of round % 2
        ? (["noble", "native"] as const)
        : (["native", "noble"] as const)) {
        useBackend(backend, [authority.anchor.key]);
        const r = await loadFrom({
          port: issuer.port,
          trust: authority.bundle(),
          tokens,
          csrs,
          seconds: seconds / rounds,
          connections,
        });
        const p = pooled[backend];
        p.latencies.push(...r.latencies);
        p.elapsed += r.elapsed;
        for (const [k, n] of Object.entries(r.statuses)) p.statuses[k] = (p.statuses[k] ?? 0) + n;
      }
    }
    const rows: string[] = [];
    const rates: Partial<Record<SignatureBackendName, number>> = {};
    for (const backend of ["native", "noble"] as const) {
      const { latencies, elapsed, statuses } = pooled[backend];
      const ok = statuses["200"] ?? 0;
      if (ok !== latencies.length)
        throw new Error(`${backend}: not all issued: ${JSON.stringify(statuses)}`);
      const sorted = latencies.sort((a, b) => a - b);
      const { sign87, verify65 } = raw.find((x) => x.backend === backend)!;
      rates[backend] = ok / elapsed;
      const cells = [
        (ok / elapsed).toFixed(1),
        quantile(sorted, 0.5).toFixed(1),
        quantile(sorted, 0.99).toFixed(1),
        ok,
        Math.round(sign87),
        Math.round(verify65),
      ];
      rows.push(`| ${backend} | ${cells.join(" | ")} |`);
    }
    useBackend("native", []);
    await issuer.stop();
    await Promise.all(Object.values(caches).map((i) => i.stop()));

    console.log(
      "Raw ML-DSA through the signature backends (`SIGNATURE_BACKENDS`), this run, before the load: one thread, 1 KiB message, 1 s per backend and operation in 5 rounds alternating the backends, median round:\n",
    );
    console.log("| backend | ML-DSA-65 sign/s | ML-DSA-87 sign/s | ML-DSA-65 verify/s |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const x of raw)
      console.log(
        `| ${x.backend} | ${Math.round(x.sign65)} | ${Math.round(x.sign87)} | ${Math.round(x.verify65)} |`,
      );
    console.log(
      `\nIssuance: ${seconds} s per row in ${rounds} rounds alternating the backends, each after a 1 s warm-up, ${connections} concurrent agents from a second process, a new TLS 1.3 ` +
        `X25519MLKEM768 connection per request; ML-DSA-65 CSRs, ML-DSA-87 anchor; ${podCount} pods; every request a real ` +
        `TokenReview and pod GET against the local kube-apiserver (same machine). Every request was issued (200).\n`,
    );
    console.log(
      "| X.509 signature backend | identities/s | p50 ms | p99 ms | requests | raw ML-DSA-87 sign/s | raw ML-DSA-65 verify/s |",
    );
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const row of rows) console.log(row);
    const [native, noble] = [raw[0]!, raw[1]!];
    console.log(
      `\nnative/noble, same run: identities/s ${(rates.native! / rates.noble!).toFixed(1)}x; raw ML-DSA-87 ` +
        `sign ${(native.sign87 / noble.sign87).toFixed(1)}x, ML-DSA-65 sign ${(native.sign65 / noble.sign65).toFixed(1)}x, ` +
        `ML-DSA-65 verify ${(native.verify65 / noble.verify65).toFixed(1)}x. Raw ML-DSA-87 sign rate over ` +
        `identities/s: native ${(native.sign87 / rates.native!).toFixed(1)}x, noble ${(noble.sign87 / rates.noble!).toFixed(1)}x.`,
    );
  } finally {
    await cp.stop();
  }
}

if (process.argv[2] === "--load") {
  process.once("message", (job: LoadJob) => {
    void runLoad(job).then((result) => process.send!(result, () => process.exit(0)));
  });
} else {
  await main();
}

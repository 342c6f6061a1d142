/**
 * Issuance benchmark: identities per second and latency of the real issuance API against a real local
 * control plane (hack/control-plane.ts: every request makes a real TokenReview and a real pod GET), with
 * load from a second process: each request is a new TLS 1.3 connection (X25519MLKEM768, the issuer's
 * ML-DSA certificate), as agents make them, with a token bound to one of the pods and an ML-DSA CSR.
 *
 * Signature backends. The X.509 layer (verifyCsr, issueCertificate) signs and verifies through node's
 * WebCrypto, that is OpenSSL: `signatureBackend` does not reach it. To measure issuance with noble, this
 * benchmark (and only it) routes WebCrypto's ML-DSA `sign` (for the anchor's key) and `verify` to
 * `nobleSignature` for the `noble` row. TLS handshakes stay in OpenSSL in both rows.
 *
 *   node bench/issuance.ts [--duration=10] [--connections=8] [--pods=10]
 *
 * Prints Markdown tables: raw ML-DSA rates of each backend, then issuance per backend.
 */
import { fork } from "node:child_process";
import { KeyObject, createPublicKey, webcrypto } from "node:crypto";
import { availableParallelism, cpus } from "node:os";
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
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from "../operator/api/algorithms.ts";
import { API_VERSION, GROUP, VERSION } from "../operator/api/crd.ts";
import type { CryptoPolicy, MCPServer } from "../operator/api/types.generated.ts";
import {
  SIGNATURE_BACKENDS,
  createCsr,
  nativeSignature,
  type SignatureBackendName,
  type SigningSeed,
} from "../operator/crypto/index.ts";
import { DEFAULT_AUDIENCE, startIssuer } from "../operator/identity/issuer.ts";
import { createStaticAuthority } from "../operator/identity/issuer-static-authority.ts";
import { postToIssuer } from "../operator/identity/issuer-test-client.ts";
import { Informer } from "../operator/runtime/informer.ts";

interface LoadJob {
  port: number;
  trust: string[];
  tokens: string[];
  csrs: string[];
  seconds: number;
  connections: number;
}
interface LoadResult {
  total: number;
  ok: number;
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

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
  latencies.sort((a, b) => a - b);
  const ok = statuses["200"] ?? 0;
  const p = (q: number) => quantile(latencies, q);
  return { total: latencies.length, ok, rps: ok / elapsed, p50: p(0.5), p99: p(0.99), statuses };
}

function loadFrom(job: LoadJob): Promise<LoadResult> {
  const child = fork(fileURLToPath(import.meta.url), ["--load"], { stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.once("message", (result) => resolve(result as LoadResult));
    child.once("exit", (code) => code !== 0 && reject(new Error(`load process exited ${code}`)));
    child.send(job);
  });
}

/** Raw ML-DSA operations per second of one backend (1 KiB messages, one thread, 1 s). */
function rawRate(backend: SignatureBackendName, alg: SignatureAlgorithm, op: "sign" | "verify") {
  const impl = SIGNATURE_BACKENDS[backend];
  const seed = impl.generateSeed(alg);
  const message = new Uint8Array(1024).fill(7);
  const publicKey = impl.publicKey(alg, seed);
  const signature = impl.sign(alg, seed, message);
  const run = () =>
    op === "sign" ? impl.sign(alg, seed, message) : impl.verify(alg, publicKey, message, signature);
  for (let i = 0; i < 5; i++) run();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < 1000) {
    run();
    count++;
  }
  return count / ((performance.now() - started) / 1000);
}

// WebCrypto's ML-DSA sign/verify, routed to noble for the `noble` row (see the module notes).
type Subtle = Record<"sign" | "verify", (...args: never[]) => Promise<unknown>>;
const subtle = webcrypto.subtle as unknown as Subtle;
const original = { sign: subtle.sign.bind(subtle), verify: subtle.verify.bind(subtle) };
const bytes = (data: ArrayBuffer | ArrayBufferView) =>
  ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
const rawPublic = (key: webcrypto.CryptoKey) =>
  Buffer.from(createPublicKey(KeyObject.from(key)).export({ format: "raw-public" })).toString(
    "hex",
  );

function useBackend(backend: SignatureBackendName, signers: SigningSeed[]): void {
  if (backend === "native") return void Object.assign(subtle, original);
  const noble = SIGNATURE_BACKENDS.noble;
  const seeds = new Map(
    signers.map((s) => [
      Buffer.from(nativeSignature.publicKey(s.algorithm, s.seed)).toString("hex"),
      s,
    ]),
  );
  const mlDsa = (alg: { name?: string } | string) => {
    const name = typeof alg === "string" ? alg : alg.name;
    return (SIGNATURE_ALGORITHMS as readonly (string | undefined)[]).includes(name)
      ? (name as SignatureAlgorithm)
      : undefined;
  };
  Object.assign(subtle, {
    sign: (alg: { name?: string }, key: webcrypto.CryptoKey, data: ArrayBuffer) => {
      const name = mlDsa(alg);
      const signer = name && seeds.get(rawPublic(key));
      if (!name || !signer) return original.sign(alg as never, key as never, data as never);
      return Promise.resolve(noble.sign(name, signer.seed, bytes(data)).slice().buffer);
    },
    verify: (
      alg: { name?: string },
      key: webcrypto.CryptoKey,
      signature: ArrayBuffer,
      data: ArrayBuffer,
    ) => {
      const name = mlDsa(alg);
      if (!name)
        return original.verify(alg as never, key as never, signature as never, data as never);
      const publicKey = new Uint8Array(KeyObject.from(key).export({ format: "raw-public" }));
      return Promise.resolve(noble.verify(name, publicKey, bytes(data), bytes(signature)));
    },
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "8" },
      pods: { type: "string", default: "10" },
    },
  });
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  const podCount = Number(values.pods);

  const raw = (["native", "noble"] as const).map((backend) => ({
    backend,
    sign87: rawRate(backend, "ML-DSA-87", "sign"),
    sign65: rawRate(backend, "ML-DSA-65", "sign"),
    verify65: rawRate(backend, "ML-DSA-65", "verify"),
  }));

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
    const rows: string[] = [];
    for (const backend of ["native", "noble"] as const) {
      useBackend(backend, [authority.anchor.key]);
      const job = {
        port: issuer.port,
        trust: authority.bundle(),
        tokens,
        csrs,
        seconds,
        connections,
      };
      const r = await loadFrom(job);
      if (r.ok !== r.total)
        throw new Error(`${backend}: not all issued: ${JSON.stringify(r.statuses)}`);
      const { sign87, verify65 } = raw.find((x) => x.backend === backend)!;
      const cells = [
        r.rps.toFixed(1),
        r.p50.toFixed(1),
        r.p99.toFixed(1),
        r.total,
        sign87,
        verify65,
      ];
      rows.push(
        `| ${backend} | ${cells.map((c) => (typeof c === "number" ? Math.round(c) : c)).join(" | ")} |`,
      );
    }
    useBackend("native", []);
    await issuer.stop();
    await Promise.all(Object.values(caches).map((i) => i.stop()));

    const cpu = cpus()[0]?.model ?? "unknown CPU";
    console.log(
      `\nRaw ML-DSA, one thread, 1 KiB message (${availableParallelism()} × ${cpu}, Node ${process.versions.node}, OpenSSL ${process.versions.openssl}):\n`,
    );
    console.log("| backend | ML-DSA-65 sign/s | ML-DSA-87 sign/s | ML-DSA-65 verify/s |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const x of raw)
      console.log(
        `| ${x.backend} | ${Math.round(x.sign65)} | ${Math.round(x.sign87)} | ${Math.round(x.verify65)} |`,
      );
    console.log(
      `\nIssuance: ${seconds} s per row after a 1 s warm-up, ${connections} concurrent agents from a second process, a new TLS 1.3 ` +
        `X25519MLKEM768 connection per request; ML-DSA-65 CSRs, ML-DSA-87 anchor; ${podCount} pods; every request a real ` +
        `TokenReview and pod GET against the local kube-apiserver (same machine). Every request was issued (200).\n`,
    );
    console.log(
      "| X.509 signature backend | issuances/s | p50 ms | p99 ms | requests | raw ML-DSA-87 sign/s | raw ML-DSA-65 verify/s |",
    );
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const row of rows) console.log(row);
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

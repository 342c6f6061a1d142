/**
 * A flood against the real operator process, while legitimate clients go on being answered.
 *
 * For several seconds, many connections send the operator's two TLS ports what no API server or agent
 * would: on the webhook, junk bodies, truncated JSON, wrong kinds and bodies over the 3 MiB limit; on the
 * issuance API, from eight other client addresses (127.0.0.2–9), requests without a token, with junk or
 * oversized bodies, and with a forged token and a valid CSR (which costs a TokenReview); and a handful of
 * slowloris connections dribble half a request header into each port. Meanwhile one legitimate client
 * (127.0.0.1) keeps asking for admission of an allowed and of a denied pod, and for a pod's identity with
 * a real TokenRequest token.
 *
 * Asserted: the process stays up and healthy; every legitimate request gets its right answer (allowed,
 * denied with 422, a certificate for the pod's SPIFFE ID); every flood request gets a 4xx (400, 401, 413
 * or 429) and none a 5xx or no answer; the rate limiter refused most of the issuance flood, and
 * `latticeguard_identity_refusals_total` and `latticeguard_admission_reviews_total` count exactly the
 * refusals the clients saw; the slowloris connections are closed by the server (408).
 */
import { randomBytes } from "node:crypto";
import { Agent } from "node:https";
import { connect, type ConnectionOptions, type TLSSocket } from "node:tls";
import type { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { createCsr, nativeSignature, verifyCertificate } from "../../operator/crypto/index.ts";
import { postToIssuer, type IssuerResponse } from "../../operator/identity/issuer/test-client.ts";
import { send } from "../../webhook/testing/client.ts";
import { admissionRequest, podBody, workload } from "../../webhook/testing/fixtures.ts";
import { testNamespace } from "./harness.ts";
import { podToken } from "./identity-harness.ts";
import { latticeguardObjects } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

const FLOOD_MS = 8_000;
const LIMIT = 3 * 1024 * 1024;
const poll = { timeout: 60_000, interval: 250 };
const run = randomBytes(3).toString("hex");

let namespace: string;
let core: CoreV1Api;
let operator: OperatorProcess;
let ports: { webhook: number; issuer: number };
let webhookCa: string;
let trust: string;
let token: string;
let csr: string;

type Review = { allowed: boolean; status?: { code?: number } };

/** An AdmissionReview of a pod in the test namespace. */
function review(name: string, labels: Record<string, string>, annotations = {}): string {
  const request = admissionRequest(
    workload("Pod", name, namespace, podBody({ labels, annotations })),
  );
  return JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request });
}
const allowedPod = () =>
  review("weather-0", { app: "weather" }, { "latticeguard.dev/transport": "X25519MLKEM768" });
const deniedPod = () => review("stray-0", { app: "stray" });

async function admit(body: string): Promise<Review | string> {
  const reply = await send({ port: ports.webhook, ca: webhookCa, body });
  if (reply.status !== 200) return `HTTP ${reply.status}`;
  return (reply.json as { response: Review }).response;
}

const issue = () =>
  postToIssuer({ port: ports.issuer, trust, token, body: csr, localAddress: "127.0.0.1" });

beforeAll(async () => {
  let kc;
  ({ kc, namespace } = await testNamespace("flood"));
  const lg = latticeguardObjects(kc, namespace);
  core = lg.core;
  await lg.selectNamespace();
  await lg.createPolicy(`flood-${run}`, {
    enforcement: "Enforce",
    identity: { algorithms: ["ML-DSA-65"], ttl: "10m" },
  });
  await lg.createServer("weather");
  await vi.waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace }), poll);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "weather" } } });
  const pod = await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: "weather-0", labels: { app: "weather" } },
      spec: {
        serviceAccountName: "weather",
        containers: [{ name: "mcp", image: "example.com/mcp:1" }],
      },
    },
  });
  token = await podToken(namespace, "weather", pod);
  csr = await createCsr({
    key: { algorithm: "ML-DSA-65", seed: nativeSignature.generateSeed("ML-DSA-65") },
  });

  operator = await startOperatorProcess();
  const started = operator.logs.find((l) => l.msg === "Started operator")!;
  ports = { webhook: started.webhookPort as number, issuer: started.issuerPort as number };
  await vi.waitFor(async () => {
    const ready = await fetch(`http://127.0.0.1:${operator.port}/readyz`);
    expect(ready.status).toBe(200);
  }, poll);
  const secret = await core.readNamespacedSecret({
    name: "latticeguard-webhook-tls",
    namespace: "latticeguard-system",
  });
  webhookCa = Buffer.from(secret.data!["ca-bundle.crt"]!, "base64").toString("utf8");
  const bundle = await core.readNamespacedConfigMap({
    name: "latticeguard-trust-bundle",
    namespace: "latticeguard-system",
  });
  trust = bundle.data!["bundle.pem"]!;
  // The caches have the policy and the MCPServer: both verdicts are what they will be.
  await vi.waitFor(async () => {
    expect(await admit(allowedPod())).toMatchObject({ allowed: true });
    expect(await admit(deniedPod())).toMatchObject({ allowed: false });
    expect((await issue()).status).toBe(200);
  }, poll);
});

afterAll(async () => {
  await operator?.stop();
});

/** Status codes seen, and each refusal reason the issuer named. */
class Tally {
  readonly statuses = new Map<number | string, number>();
  readonly reasons = new Map<string, number>();
  add(status: number | string, reason?: unknown): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (typeof reason === "string") this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }
  get total(): number {
    return [...this.statuses.values()].reduce((a, b) => a + b, 0);
  }
}

/** Runs `worker` in `count` loops until `until` has passed. */
async function loops(count: number, until: number, worker: (i: number) => Promise<void>) {
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      while (Date.now() < until) await worker(i);
    }),
  );
}

function webhookFlood(until: number, tally: Tally): Promise<void> {
  const valid = allowedPod();
  const agents = Array.from({ length: 4 }, () => new Agent({ keepAlive: true, maxSockets: 4 }));
  let huge = 0;
  const bodies = [
    () => randomBytes(1 + Math.floor(Math.random() * 2000)),
    () => valid.slice(0, Math.floor(Math.random() * (valid.length - 1))),
    () => JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "x" } }),
    () => JSON.stringify({ ...JSON.parse(valid), apiVersion: "admission.k8s.io/v1beta1" }),
    () => (huge++ < 24 ? `{"pad":"${"x".repeat(LIMIT)}"}` : "{"),
  ];
  return loops(16, until, async (i) => {
    const body = bodies[Math.floor(Math.random() * bodies.length)]!();
    const reply = await send({
      port: ports.webhook,
      ca: webhookCa,
      body,
      agent: agents[i % 4],
    }).catch((error: NodeJS.ErrnoException) => ({ status: error.code ?? "error" }));
    tally.add(reply.status);
  }).finally(() => agents.forEach((a) => a.destroy()));
}

function issuerFlood(until: number, tally: Tally): Promise<void> {
  const forged = `${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from(
    JSON.stringify({ aud: ["latticeguard.dev/identity"], sub: "system:serviceaccount:x:y" }),
  ).toString("base64url")}.${randomBytes(64).toString("base64url")}`;
  const requests: { token?: string; body: string }[] = [
    { body: "hello, issuer" },
    { token: forged, body: randomBytes(3000).toString("latin1") },
    { token: forged, body: "A".repeat(100 * 1024) },
    { token: forged, body: csr },
  ];
  const clients = Array.from({ length: 8 }, (_, n) => ({
    address: `127.0.0.${n + 2}`,
    agent: new Agent({ keepAlive: true, maxSockets: 4 }),
  }));
  return loops(32, until, async (i) => {
    const client = clients[i % clients.length]!;
    const request = requests[Math.floor(Math.random() * requests.length)]!;
    const r: IssuerResponse = await postToIssuer({
      port: ports.issuer,
      trust,
      ...request,
      localAddress: client.address,
      agent: client.agent,
    });
    tally.add(r.status || (r.error ?? "error"), r.json?.reason);
  }).finally(() => clients.forEach((c) => c.agent.destroy()));
}

/** Connections that send half a request header, a byte at a time; resolves with what each got back. */
function slowloris(port: number, ca: string, count: number, localAddress: string) {
  return Array.from(
    { length: count },
    () =>
      new Promise<string>((resolve) => {
        const options = { port, host: "127.0.0.1", ca, localAddress } as ConnectionOptions;
        const socket: TLSSocket = connect(options, () => {
          socket.write("POST /v1/identity HTTP/1.1\r\nHost: x\r\nX-Slow: ");
          const drip = setInterval(() => socket.write("x"), 500);
          socket.once("close", () => clearInterval(drip));
        });
        let got = "";
        socket.on("data", (chunk: Buffer) => (got += chunk.toString("latin1")));
        socket.on("error", () => undefined);
        socket.once("close", () => resolve(got));
      }),
  );
}

async function metric(name: string, labels: Record<string, string>) {
  return operator.metric(name, labels);
}

it("answers legitimate clients correctly through a flood, refusing the flood with 4xx and counting it", async () => {
  const before = {
    rateLimited: await metric("latticeguard_identity_refusals_total", { reason: "RateLimited" }),
    badReviews: await metric("latticeguard_admission_reviews_total", { decision: "bad_request" }),
    tooLarge: await metric("latticeguard_admission_reviews_total", { decision: "too_large" }),
  };
  const refusalsBefore = new Map<string, number>();
  for (const reason of ["MissingToken", "MalformedCSR", "BodyTooLarge", "InvalidToken"])
    refusalsBefore.set(reason, await metric("latticeguard_identity_refusals_total", { reason }));

  const started = Date.now();
  const until = started + FLOOD_MS;
  const slow = [
    ...slowloris(ports.webhook, webhookCa, 10, "127.0.0.10"),
    ...slowloris(ports.issuer, trust, 10, "127.0.0.10"),
  ];
  const webhookTally = new Tally();
  const issuerTally = new Tally();
  const problems: string[] = [];
  let rounds = 0;
  const legitimate = (async () => {
    while (Date.now() < until) {
      const [allowed, denied, issued] = await Promise.all([
        admit(allowedPod()),
        admit(deniedPod()),
        issue(),
      ]);
      if (typeof allowed === "string" || !allowed.allowed)
        problems.push(`allowed pod: ${JSON.stringify(allowed)}`);
      if (typeof denied === "string" || denied.allowed || denied.status?.code !== 422)
        problems.push(`denied pod: ${JSON.stringify(denied)}`);
      if (issued.status !== 200)
        problems.push(
          `issuance: ${issued.status} ${issued.error ?? ""} ${JSON.stringify(issued.json)}`,
        );
      else {
        const { certificate } = issued.json as { certificate: string };
        const verified = await verifyCertificate(certificate, [trust]);
        if (verified.spiffeId !== `spiffe://cluster.local/ns/${namespace}/sa/weather`)
          problems.push(`issued ${verified.spiffeId}`);
      }
      rounds++;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  await Promise.all([
    webhookFlood(until, webhookTally),
    issuerFlood(until, issuerTally),
    legitimate,
  ]);
  const seconds = (Date.now() - started) / 1000;

  // The process stayed up and healthy, and every legitimate request was answered as it should be.
  expect(() => process.kill(operator.pid, 0)).not.toThrow();
  expect((await fetch(`http://127.0.0.1:${operator.port}/healthz`)).status).toBe(200);
  expect((await fetch(`http://127.0.0.1:${operator.port}/readyz`)).status).toBe(200);
  expect(problems).toEqual([]);
  expect(rounds).toBeGreaterThanOrEqual(3);

  // Every flood request got a 4xx answer.
  const codes = (tally: Tally) => [...tally.statuses.keys()].sort();
  expect(webhookTally.total).toBeGreaterThan(200);
  expect(codes(webhookTally)).toEqual([400, 413]);
  expect(issuerTally.total).toBeGreaterThan(500);
  for (const code of codes(issuerTally)) expect([400, 401, 413, 429]).toContain(code);
  // The rate limiter turned most of it away before it cost anything: no flooding client got more than
  // its burst (20) and 10 a second through. Each kind of request reached its check.
  const through = issuerTally.total - (issuerTally.statuses.get(429) ?? 0);
  expect(through).toBeLessThanOrEqual(8 * (20 + 10 * Math.ceil(seconds)));
  expect(issuerTally.statuses.get(429)).toBeGreaterThan(issuerTally.total / 2);
  expect([...issuerTally.reasons.keys()].sort()).toEqual([
    "BodyTooLarge",
    "InvalidToken",
    "MalformedCSR",
    "MissingToken",
    "RateLimited",
  ]);

  // The metrics count exactly what the clients saw.
  expect(
    (await metric("latticeguard_identity_refusals_total", { reason: "RateLimited" })) -
      before.rateLimited,
  ).toBe(issuerTally.reasons.get("RateLimited"));
  for (const [reason, was] of refusalsBefore)
    expect((await metric("latticeguard_identity_refusals_total", { reason })) - was, reason).toBe(
      issuerTally.reasons.get(reason),
    );
  expect(
    (await metric("latticeguard_admission_reviews_total", { decision: "bad_request" })) -
      before.badReviews,
  ).toBe(webhookTally.statuses.get(400));
  expect(
    (await metric("latticeguard_admission_reviews_total", { decision: "too_large" })) -
      before.tooLarge,
  ).toBe(webhookTally.statuses.get(413));

  // The slowloris connections were closed by the server, with 408, not left to pile up.
  const closedWith = await Promise.all(slow);
  for (const got of closedWith) expect(got).toMatch(/^HTTP\/1\.1 408 /);
});

/**
 * Bad input, fuzz-style: malformed, truncated, huge (over the body limit), mistyped and wrong-kind
 * AdmissionReviews against the real HTTPS server and admission handler. Every answer must be a
 * well-formed AdmissionReview response for the request's uid, or a 400 Status (413 over the limit);
 * the server must still be healthy and still answer correctly afterwards. The generator is seeded, and
 * the seed is in the test name, so a failure can be replayed.
 */
import { Agent } from "node:https";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admission } from "./admit.ts";
import { staticView } from "./cluster-view.ts";
import { serveWebhook, type WebhookServer } from "./server.ts";
import { send, type Reply } from "./testing/client.ts";
import {
  admissionRequest,
  mcpServer,
  namespace,
  podBody,
  policy,
  workload,
} from "./testing/fixtures.ts";
import { loopbackCertificates } from "./testing/static-certificates.ts";
import { VALIDATORS } from "./validators.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20260101);
const LIMIT = 64 * 1024;
const log = pino({ level: "silent" });
const NS = "shop";
const view = staticView({
  namespaces: [namespace(NS)],
  policies: [policy("p", { enforcement: "Enforce" })],
  servers: [mcpServer(NS, "weather", { app: "weather" })],
});

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const WEIRD: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  "",
  "x".repeat(1000),
  [],
  [1, [2]],
  {},
  { a: { b: {} } },
  "CREATE",
];

/** A copy of `value` with one randomly chosen node replaced by something weird, or deleted. */
function mutate(value: unknown): unknown {
  if (typeof value !== "object" || value === null || random() < 0.15) return pick(WEIRD);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
    ? [...(value as unknown[])]
    : { ...value };
  const keys = Object.keys(copy);
  if (keys.length === 0) return pick(WEIRD);
  const key = pick(keys);
  if (random() < 0.2 && !Array.isArray(copy)) delete copy[key];
  else (copy as Record<string, unknown>)[key] = mutate((copy as Record<string, unknown>)[key]);
  return copy;
}

const kinds = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"];
function validReview() {
  const body = podBody({ labels: { app: pick(["weather", "other"]) } });
  const request = admissionRequest(
    workload(pick(kinds), "web", NS, body),
    pick(["CREATE", "UPDATE"] as const),
  );
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request };
}

let server: WebhookServer;
let ca: string;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  const certs = await loopbackCertificates();
  ca = certs.ca.cert;
  const handle = admission({
    validators: VALIDATORS,
    views: { cached: () => view, fresh: () => Promise.resolve(view) },
    log,
  });
  server = await serveWebhook({
    host: "127.0.0.1",
    port: 0,
    handle,
    certificates: certs.source,
    log,
    bodyLimitBytes: LIMIT,
  });
});
afterAll(async () => {
  agent.destroy();
  await server.close();
});

/** Checks one answer: a 400 Status, or an AdmissionReview response for `uid`. */
function checkAnswer(reply: Reply, uid: unknown): void {
  if (reply.status === 400) {
    expect(reply.json).toMatchObject({ apiVersion: "v1", kind: "Status", code: 400 });
    return;
  }
  expect(reply.status).toBe(200);
  const { response } = reply.json as { response: Record<string, unknown> };
  expect(reply.json).toMatchObject({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" });
  expect(response.uid).toBe(uid);
  expect(typeof response.allowed).toBe("boolean");
  if (!response.allowed)
    expect(response.status).toMatchObject({
      status: "Failure",
      code: expect.any(Number) as number,
    });
}

describe(`bad input (seed ${SEED})`, () => {
  it("answers 300 structurally mutated reviews with a response or a 400", async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const body = mutate(validReview());
      const uid = (body as { request?: { uid?: unknown } } | null)?.request?.uid;
      const reply = await send({
        port: server.port,
        ca,
        agent,
        body: JSON.stringify(body) ?? "null",
      });
      checkAnswer(reply, uid);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    }
    // The mutations reach both the codec (400) and the validators (answered, some fail closed).
    expect(statuses.get(400)).toBeGreaterThan(10);
    expect(statuses.get(200)).toBeGreaterThan(10);
  });

  it("answers every truncation of a review with 400", async () => {
    const text = JSON.stringify(validReview());
    const cuts = Array.from({ length: 100 }, () => Math.floor(random() * (text.length - 1)));
    for (const cut of [0, 1, ...cuts]) {
      const reply = await send({ port: server.port, ca, agent, body: text.slice(0, cut) });
      expect(reply.status, `cut at ${cut}`).toBe(400);
    }
  });

  it("answers random bytes and non-JSON content with 400", async () => {
    for (let i = 0; i < 50; i++) {
      const bytes = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 500) }, () => Math.floor(random() * 256)),
      );
      checkAnswer(await send({ port: server.port, ca, agent, body: bytes }), undefined);
    }
    expect(
      (await send({ port: server.port, ca, agent, body: "<xml/>", contentType: "text/xml" }))
        .status,
    ).toBe(400);
  });

  it("answers bodies over the limit with 413, and deeply nested ones with 400", async () => {
    const huge = validReview();
    (huge.request.object as { metadata: Record<string, unknown> }).metadata.annotations = {
      pad: "x".repeat(LIMIT),
    };
    const reply = await send({ port: server.port, ca, agent, body: JSON.stringify(huge) });
    expect(reply.status).toBe(413);
    expect(reply.json).toMatchObject({
      kind: "Status",
      code: 413,
      message: `the body is larger than ${LIMIT} bytes`,
    });
    const deep = "[".repeat(30_000) + "]".repeat(30_000); // under the limit, deeply nested
    expect((await send({ port: server.port, ca, agent, body: deep })).status).toBe(400);
  });

  it("answers wrong kinds and versions with 400, and unknown resources with an admission", async () => {
    const valid = validReview();
    for (const body of [
      { ...valid, apiVersion: "admission.k8s.io/v1beta1" },
      { ...valid, kind: "TokenReview" },
      { apiVersion: "v1", kind: "Pod", metadata: { name: "x" } },
      { ...valid, request: undefined, response: { uid: "u", allowed: true } },
    ]) {
      expect(
        (await send({ port: server.port, ca, agent, body: JSON.stringify(body) })).status,
      ).toBe(400);
    }
    const configMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: NS },
    };
    const other = { ...valid, request: admissionRequest(configMap) };
    checkAnswer(
      await send({ port: server.port, ca, agent, body: JSON.stringify(other) }),
      other.request.uid,
    );
  });

  it("is healthy afterwards and still decides correctly", async () => {
    expect((await send({ port: server.port, ca, path: "/healthz", method: "GET" })).text).toBe(
      "ok",
    );
    const good = validReview();
    good.request = admissionRequest(
      workload(
        "Pod",
        "web",
        NS,
        podBody({
          labels: { app: "weather" },
          annotations: { "latticeguard.dev/transport": "MLKEM1024" },
        }),
      ),
    );
    const reply = await send({ port: server.port, ca, body: JSON.stringify(good) });
    expect(reply.json).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: good.request.uid, allowed: true },
    });
  });
});

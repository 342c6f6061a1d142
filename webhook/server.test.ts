import { X509Certificate } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admission } from "./admit.ts";
import { mutation } from "./mutate.ts";
import { staticView } from "./cluster-view.ts";
import { serveWebhook, type WebhookServer } from "./server.ts";
import { send } from "./testing/client.ts";
import {
  admissionRequest,
  mcpServer,
  namespace,
  podBody,
  policy,
  workload,
} from "./testing/fixtures.ts";
import { StaticCertificates, loopbackCertificates } from "./testing/static-certificates.ts";
import { issueServing } from "../operator/tls/certs.ts";
import type { AdmissionRequest } from "./types.ts";
import { VALIDATORS } from "./validators.ts";

const log = pino({ level: "silent" });
const NS = "shop";
const view = staticView({
  namespaces: [namespace(NS)],
  policies: [policy("p", { enforcement: "Enforce" })],
  servers: [mcpServer(NS, "weather", { app: "weather" })],
});
const views = { cached: () => view, fresh: () => Promise.resolve(view) };
const handle = admission({ validators: VALIDATORS, views, log });
const proxied = staticView({
  namespaces: [namespace(NS)],
  policies: [policy("p", { enforcement: "Enforce" })],
  servers: [mcpServer(NS, "weather", { app: "weather" }, { proxy: { mode: "Sidecar" } })],
});
const mutate = mutation({
  views: { cached: () => proxied, fresh: () => Promise.resolve(proxied) },
  settings: {
    proxyImage: "ghcr.io/latticeguard/latticeguard:0.1.0",
    issuerUrl: "https://latticeguard-issuer.latticeguard-system.svc:8443",
    bundleConfigMap: "latticeguard-trust-bundle",
  },
  log,
});
const review = (request: AdmissionRequest) =>
  JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request });

let server: WebhookServer;
let ca: string;
let certs: Awaited<ReturnType<typeof loopbackCertificates>>;

beforeAll(async () => {
  certs = await loopbackCertificates();
  ca = certs.ca.cert;
  server = await serveWebhook({
    host: "127.0.0.1",
    port: 0,
    handle,
    mutate,
    certificates: certs.source,
    log,
  });
});
afterAll(() => server.close());

describe("webhook server", () => {
  it("answers an AdmissionReview with an AdmissionReview for the same uid", async () => {
    const request = admissionRequest(
      workload(
        "Pod",
        "web",
        NS,
        podBody({
          labels: { app: "weather" },
          annotations: { "latticeguard.dev/transport": "X25519MLKEM768" },
        }),
      ),
    );
    const reply = await send({ port: server.port, ca, body: review(request) });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: request.uid, allowed: true },
    });
  });

  it("denies with 422 and one cause per field", async () => {
    const request = admissionRequest(
      workload("Deployment", "web", NS, podBody({ labels: { app: "x" } })),
    );
    const reply = await send({ port: server.port, ca, body: review(request) });
    const response = (
      reply.json as {
        response: {
          allowed: boolean;
          status: { code: number; details: { causes: { field: string }[] } };
        };
      }
    ).response;
    expect(response.allowed).toBe(false);
    expect(response.status.code).toBe(422);
    expect(response.status.details.causes.map((c) => c.field)).toEqual([
      "spec.template.metadata.labels",
      "spec.template.metadata.annotations[latticeguard.dev/transport]",
    ]);
  });

  it("answers /mutate with a base64 JSON Patch that injects the proxy", async () => {
    const request = admissionRequest(
      workload("Pod", "web", NS, podBody({ labels: { app: "weather" } })),
    );
    const reply = await send({ port: server.port, ca, path: "/mutate", body: review(request) });
    const response = (reply.json as { response: { uid: string; patchType: string; patch: string } })
      .response;
    expect(response).toMatchObject({ uid: request.uid, allowed: true, patchType: "JSONPatch" });
    const patch = JSON.parse(Buffer.from(response.patch, "base64").toString()) as {
      path: string;
    }[];
    expect(patch.map((op) => op.path)).toEqual([
      "/spec/initContainers",
      "/spec/volumes",
      "/metadata/annotations/latticeguard.dev~1injected",
      "/metadata/labels/latticeguard.dev~1proxied",
    ]);
  });

  it("denies (fail closed) when the mutation fails, and does not serve /mutate without a handler", async () => {
    const failing = await serveWebhook({
      host: "127.0.0.1",
      port: 0,
      handle,
      mutate: () => Promise.reject(new Error("boom")),
      certificates: certs.source,
      log,
    });
    const bare = await serveWebhook({
      host: "127.0.0.1",
      port: 0,
      handle,
      certificates: certs.source,
      log,
    });
    try {
      const request = admissionRequest(workload("Pod", "web", NS, podBody()));
      const reply = await send({ port: failing.port, ca, path: "/mutate", body: review(request) });
      expect((reply.json as { response: object }).response).toMatchObject({
        uid: request.uid,
        allowed: false,
        status: { code: 500, message: expect.stringContaining("boom") as string },
      });
      expect(
        (await send({ port: bare.port, ca, path: "/mutate", body: review(request) })).status,
      ).toBe(404);
    } finally {
      await failing.close();
      await bare.close();
    }
  });

  it.each([
    ["invalid JSON", "{", "not valid JSON"],
    [
      "another kind",
      JSON.stringify({ apiVersion: "v1", kind: "Pod" }),
      "must be an AdmissionReview",
    ],
    ["an empty body", "", "must be an AdmissionReview"],
  ])("answers %s with 400", async (_name, body, message) => {
    const reply = await send({ port: server.port, ca, body });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({
      kind: "Status",
      code: 400,
      message: expect.stringContaining(message) as string,
    });
  });

  it("serves health and readiness", async () => {
    expect((await send({ port: server.port, ca, path: "/healthz", method: "GET" })).text).toBe(
      "ok",
    );
    expect((await send({ port: server.port, ca, path: "/readyz", method: "GET" })).status).toBe(
      200,
    );
    expect((await send({ port: server.port, ca, path: "/metrics", method: "GET" })).status).toBe(
      404,
    );
  });
});

describe("webhook TLS", () => {
  it("negotiates TLS 1.3 with X25519MLKEM768 by default", async () => {
    const reply = await send({ port: server.port, ca, path: "/healthz", method: "GET" });
    expect(reply.protocol).toBe("TLSv1.3");
    expect(reply.group).toBe("X25519MLKEM768");
  });

  it("prefers X25519MLKEM768 even when the client's first key share is classical", async () => {
    const reply = await send({
      port: server.port,
      ca,
      path: "/healthz",
      method: "GET",
      ecdhCurve: "X25519:X25519MLKEM768",
    });
    expect(reply.group).toBe("X25519MLKEM768");
  });

  it("falls back to a classical group for clients without a hybrid", async () => {
    const reply = await send({
      port: server.port,
      ca,
      path: "/healthz",
      method: "GET",
      ecdhCurve: "X25519",
    });
    expect(reply.group).toBe("X25519");
  });

  it("refuses TLS 1.2", async () => {
    await expect(
      send({ port: server.port, ca, path: "/healthz", method: "GET", maxVersion: "TLSv1.2" }),
    ).rejects.toThrow();
  });

  it("serves a new certificate without a restart", async () => {
    const next = await issueServing(certs.ca, { dns: [], ips: ["127.0.0.1"] }, new Date(), 60_000);
    certs.source.publish(next);
    const reply = await send({ port: server.port, ca, path: "/healthz", method: "GET" });
    expect(reply.fingerprint).toBe(new X509Certificate(next.cert).fingerprint256);
  });

  it("listens before it has a certificate, and is not ready until then", async () => {
    const source = new StaticCertificates();
    const early = await serveWebhook({
      host: "127.0.0.1",
      port: 0,
      handle,
      certificates: source,
      log,
    });
    try {
      await expect(
        send({ port: early.port, ca, path: "/healthz", method: "GET" }),
      ).rejects.toThrow();
      source.publish(certs.serving);
      expect((await send({ port: early.port, ca, path: "/readyz", method: "GET" })).status).toBe(
        200,
      );
    } finally {
      await early.close();
    }
  });
});

// The webhook server's limits with real TLS connections: the body limit (413, whether the body declares
// its length or not), compressed bodies (400, never inflated), and the budget for large bodies (503 while
// it is spent, small reviews answered all the while). Each refusal is counted.
import { connect, type TLSSocket } from "node:tls";
import { gzipSync } from "node:zlib";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetrics } from "../operator/metrics.ts";
import { admission } from "./admit.ts";
import { staticView } from "./cluster-view.ts";
import { DEFAULT_BODY_LIMIT_BYTES, serveWebhook, type WebhookServer } from "./server.ts";
import { send } from "./testing/client.ts";
import { admissionRequest, namespace, podBody, policy, workload } from "./testing/fixtures.ts";
import { loopbackCertificates } from "./testing/static-certificates.ts";
import { VALIDATORS } from "./validators.ts";

const log = pino({ level: "silent" });
const view = staticView({
  namespaces: [namespace("shop")],
  policies: [policy("p", { enforcement: "Enforce" })],
  servers: [],
});
const handle = admission({
  validators: VALIDATORS,
  views: { cached: () => view, fresh: () => Promise.resolve(view) },
  log,
});
const metrics = createMetrics({ processMetrics: false });
const certs = await loopbackCertificates();
const ca = certs.ca.cert;
let server: WebhookServer;
let budgeted: WebhookServer;

/** A pod's review, padded with an annotation of `pad` bytes. */
function review(pad = 0): string {
  const annotations: Record<string, string> = pad ? { pad: "x".repeat(pad) } : {};
  const request = admissionRequest(
    workload("Pod", "web", "shop", podBody({ labels: { app: "web" }, annotations })),
  );
  return JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request });
}

const counted = async (decision: string) =>
  (await metrics.admissionReviews.get()).values.find((v) => v.labels.decision === decision)
    ?.value ?? 0;

beforeAll(async () => {
  const common = { host: "127.0.0.1", port: 0, handle, certificates: certs.source, log, metrics };
  server = await serveWebhook(common);
  budgeted = await serveWebhook({
    ...common,
    bodyBudget: { smallBytes: 16 * 1024, largeBytes: 64 * 1024 },
  });
});
afterAll(async () => {
  await server.close();
  await budgeted.close();
});

/** Opens a raw TLS connection and writes `head`; resolves with the socket and its answer so far. */
async function raw(port: number, head: string) {
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const s = connect({ port, host: "127.0.0.1", ca }, () => resolve(s));
    s.once("error", reject);
  });
  let text = "";
  socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
  socket.on("error", () => undefined);
  socket.write(head);
  return { socket, answer: () => text };
}

describe("the body limit", () => {
  it("answers a review just under 3 MiB", async () => {
    const body = review(DEFAULT_BODY_LIMIT_BYTES - 2048);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(DEFAULT_BODY_LIMIT_BYTES);
    const reply = await send({ port: server.port, ca, body });
    expect(reply.status).toBe(200);
    const { request } = JSON.parse(body) as { request: { uid: string } };
    expect(reply.json).toMatchObject({ kind: "AdmissionReview", response: { uid: request.uid } });
  });

  it("refuses a body over 3 MiB with 413, and counts it", async () => {
    const before = await counted("too_large");
    const reply = await send({ port: server.port, ca, body: review(DEFAULT_BODY_LIMIT_BYTES) });
    expect(reply.status).toBe(413);
    expect(reply.json).toMatchObject({ kind: "Status", code: 413 });
    expect(await counted("too_large")).toBe(before + 1);
  });

  it("refuses a chunked body that grows over 3 MiB", async () => {
    const { socket, answer } = await raw(
      server.port,
      "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n",
    );
    const chunk = Buffer.alloc(256 * 1024, "x");
    // Past the limit the server discards what arrives, and answers once the request ends.
    for (let sent = 0; sent <= DEFAULT_BODY_LIMIT_BYTES; sent += chunk.length) {
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      socket.write("\r\n");
    }
    socket.write("0\r\n\r\n");
    await expect.poll(answer).toMatch(/^HTTP\/1\.1 413 /);
    socket.destroy();
  });

  it("refuses a compressed body with 400 rather than inflating it", async () => {
    const { socket, answer } = await raw(server.port, "");
    const body = gzipSync(review(1_000_000));
    socket.write(
      "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        `Content-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body);
    await expect.poll(answer).toMatch(/^HTTP\/1\.1 400 /);
    socket.destroy();
  });
});

describe("the large-body budget", () => {
  it("refuses large bodies with 503 while the budget is held, answers small ones, and recovers", async () => {
    const large = review(40 * 1024);
    // Holds 40 KiB of the 64 KiB budget: the headers and half the body, then nothing.
    const slow = await raw(
      budgeted.port,
      "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${Buffer.byteLength(large)}\r\n\r\n${large.slice(0, 1000)}`,
    );
    const before = await counted("overloaded");
    await expect
      .poll(async () => (await send({ port: budgeted.port, ca, body: large })).status)
      .toBe(503);
    const refused = await send({ port: budgeted.port, ca, body: large });
    expect(refused.json).toMatchObject({ kind: "Status", code: 503 });
    expect(await counted("overloaded")).toBeGreaterThan(before);
    expect((await send({ port: budgeted.port, ca, body: review() })).status).toBe(200);
    slow.socket.write(large.slice(1000));
    await expect.poll(slow.answer).toMatch(/^HTTP\/1\.1 200 /);
    expect((await send({ port: budgeted.port, ca, body: large })).status).toBe(200);
    slow.socket.destroy();
  });
});

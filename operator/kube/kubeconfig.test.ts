// The API server's deadline, against HTTP servers on loopback that behave as a stuck API server does:
// accept the request and never answer, or answer the headers and never finish the body. Every kind of
// client LatticeGuard makes gives up with a TimeoutError and releases its connection; a watch, which
// has a deadline of its own, is left alone.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AuthenticationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  Watch,
} from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BoundedKubeConfig, requestTimeout } from "./kubeconfig.ts";

type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server | undefined;
/** Requests the server received, and whether the client has since closed each one's connection. */
const received: { path: string; closed: boolean }[] = [];

async function stopServer(): Promise<void> {
  received.length = 0;
  const stopping = server;
  server = undefined;
  stopping?.closeAllConnections();
  if (stopping) await new Promise((resolve) => stopping.close(resolve));
}
afterEach(stopServer);

async function apiServer(behaviour: Behaviour, timeoutMs: number): Promise<BoundedKubeConfig> {
  server = createServer((req, res) => {
    const entry = { path: req.url ?? "", closed: false };
    received.push(entry);
    req.socket.once("close", () => (entry.closed = true));
    behaviour(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const kc = new BoundedKubeConfig(timeoutMs);
  kc.loadFromOptions({
    clusters: [{ name: "stuck", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "admin", token: "t" }],
    contexts: [{ name: "stuck", cluster: "stuck", user: "admin" }],
    currentContext: "stuck",
  });
  return kc;
}

const neverAnswers: Behaviour = () => undefined;
const neverFinishes: Behaviour = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.write('{"kind":"Pod","metadata":{"name":');
};
const answersPod: Behaviour = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } }));
};

const calls: [string, (kc: BoundedKubeConfig) => Promise<unknown>][] = [
  [
    "a pod read (CoreV1Api)",
    (kc) => kc.makeApiClient(CoreV1Api).readNamespacedPod({ namespace: "ns", name: "p" }),
  ],
  [
    "a TokenReview (AuthenticationV1Api)",
    (kc) =>
      kc.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token: "x" } } }),
  ],
  [
    "a server-side apply (KubernetesObjectApi)",
    (kc) =>
      KubernetesObjectApi.makeApiClient(kc).patch(
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "ns" } },
        undefined,
        undefined,
        "latticeguard",
        true,
      ),
  ],
  [
    "a custom object list (CustomObjectsApi)",
    (kc) =>
      kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({
        group: "latticeguard.dev",
        version: "v1alpha1",
        plural: "cryptopolicies",
      }),
  ],
];

describe("BoundedKubeConfig", () => {
  // The first request loads client-node's HTTP stack; done here, it cannot eat a test's deadline.
  beforeAll(async () => {
    const kc = await apiServer(answersPod, 60_000);
    await kc.makeApiClient(CoreV1Api).readNamespacedPod({ namespace: "ns", name: "p" });
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns" } };
    await objects.read(pod).catch(() => undefined);
    await stopServer();
  });

  describe.each([
    ["never answers", neverAnswers],
    ["answers the headers and never finishes the body", neverFinishes],
  ])("against an API server that %s", (_name, behaviour) => {
    it.each(calls)(
      "gives up on %s with a TimeoutError and closes its connection",
      async (_call, call) => {
        const kc = await apiServer(behaviour, 200);
        const error = (await call(kc).catch((e: unknown) => e)) as Error;
        expect(error).toBeInstanceOf(Error);
        expect(`${error.name}: ${error.message}`).toMatch(/TimeoutError|timeout/i);
        expect(received).toHaveLength(1);
        await expect.poll(() => received[0]!.closed).toBe(true);
      },
    );
  });

  it("lets a call with a tighter bound of its own give up first", async () => {
    const kc = await apiServer(neverAnswers, 3_600_000);
    const read = kc
      .makeApiClient(CoreV1Api)
      .readNamespacedPod({ namespace: "ns", name: "p" }, requestTimeout(100));
    await expect(read).rejects.toThrow("did not answer within 100 ms");
  });

  it("lets a call end sooner through its own signal", async () => {
    const kc = await apiServer(neverAnswers, 3_600_000);
    const stop = new AbortController();
    const read = kc
      .makeApiClient(CoreV1Api)
      .readNamespacedPod({ namespace: "ns", name: "p" }, requestTimeout(3_600_000, stop.signal));
    await expect.poll(() => received.length).toBe(1);
    stop.abort(new Error("stopping"));
    await expect(read).rejects.toThrow(/stopping|abort/i);
  });

  it("answers calls to a healthy API server", async () => {
    const kc = await apiServer(answersPod, 200);
    const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ namespace: "ns", name: "p" });
    expect(pod.metadata?.name).toBe("p");
  });

  it("leaves a watch open past the request deadline: watches have their own", async () => {
    const timeoutMs = 100;
    let stream: ServerResponse | undefined;
    const kc = await apiServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`${JSON.stringify({ type: "ADDED", object: { metadata: { name: "a" } } })}\n`);
      stream = res;
    }, timeoutMs);
    const seen: string[] = [];
    let ended: unknown = "open";
    const watch = await new Watch(kc).watch(
      "/api/v1/pods",
      {},
      (type, obj: { metadata: { name: string } }) => seen.push(`${type} ${obj.metadata.name}`),
      (error: unknown) => void (ended = error),
    );
    await expect.poll(() => seen).toEqual(["ADDED a"]);
    // Well past the request deadline, by the request deadline's own clock.
    await new Promise((resolve) =>
      AbortSignal.timeout(timeoutMs * 3).addEventListener("abort", resolve),
    );
    stream!.write(`${JSON.stringify({ type: "ADDED", object: { metadata: { name: "b" } } })}\n`);
    await expect.poll(() => seen).toEqual(["ADDED a", "ADDED b"]);
    expect(ended).toBe("open");
    watch.abort();
  });

  it.each([0, -1, 1.5, NaN])("refuses a timeout of %s", (ms) => {
    expect(() => new BoundedKubeConfig(ms)).toThrow("`requestTimeoutMs`");
    expect(() => requestTimeout(ms)).toThrow("`ms`");
  });
});

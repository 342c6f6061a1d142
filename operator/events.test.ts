// The Event recorder's bound on writes in flight, against an API server on loopback that holds every
// request until the test lets it answer: Events over the bound are dropped at once and counted, never
// queued, and room frees up as writes end.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { apiEventRecorder } from "./events.ts";
import { BoundedKubeConfig } from "./kube/kubeconfig.ts";

const held: ServerResponse[] = [];
const server = createServer((_req, res) => void held.push(res));
const kc = new BoundedKubeConfig(60_000);

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns" } };
const answer = (res: ServerResponse) =>
  res.writeHead(201, { "content-type": "application/json" }).end("{}");

it("drops and counts Events over the bound while writes are in flight, and records again once they end", async () => {
  const registry = new Registry();
  const events = apiEventRecorder(kc, pino({ level: "silent" }), { maxInFlight: 2, registry });
  const dropped = async () =>
    (await registry.getSingleMetric("latticeguard_events_dropped_total")!.get()).values;
  const writes = [
    events.record(pod, "Normal", "KEMKeyRotated", "one"),
    events.record(pod, "Normal", "KEMKeyRotated", "two"),
  ];
  await expect.poll(() => held.length).toBe(2);
  // Resolves at once: nothing waits for room.
  await events.record(pod, "Warning", "PolicyViolation", "three");
  await events.record(pod, "Warning", "PolicyViolation", "four");
  expect(await dropped()).toEqual([{ labels: { reason: "PolicyViolation" }, value: 2 }]);
  expect(held).toHaveLength(2);
  for (const res of held.splice(0)) answer(res);
  await Promise.all(writes);
  const fifth = events.record(pod, "Normal", "KEMKeyRetired", "five");
  await expect.poll(() => held.length).toBe(1);
  answer(held.pop()!);
  await fifth;
  expect((await dropped()).map((v) => v.value)).toEqual([2]);
});

it("refuses a bound that is not a positive integer", () => {
  expect(() => apiEventRecorder(kc, pino({ level: "silent" }), { maxInFlight: 0 })).toThrow(
    "`maxInFlight`",
  );
});

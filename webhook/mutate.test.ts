import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import type { MCPServer } from "../operator/api/types.generated.ts";
import { createMetrics } from "../operator/metrics.ts";
import type { ClusterViews } from "./admit.ts";
import { staticView } from "./cluster-view.ts";
import type { InjectionSettings } from "./injection.ts";
import { mutation } from "./mutate.ts";
import {
  admissionRequest,
  container,
  mcpServer,
  namespace,
  podBody,
  policy,
  workload,
} from "./testing/fixtures.ts";
import type { AdmissionRequest, ClusterView } from "./types.ts";

const log = pino({ level: "silent" });
const NS = "shop";
const settings: InjectionSettings = {
  proxyImage: "ghcr.io/latticeguard/latticeguard:0.1.0",
  issuerUrl: "https://latticeguard-issuer.latticeguard-system.svc:8443",
  bundleConfigMap: "latticeguard-trust-bundle",
};
const SIDECAR = mcpServer(NS, "weather", { app: "weather" }, { proxy: { mode: "Sidecar" } });
const view = (servers: MCPServer[] = [SIDECAR], namespaces = [namespace(NS)]): ClusterView =>
  staticView({ namespaces, policies: [policy("audit")], servers });
const weatherPod = (extra: Parameters<typeof podBody>[0] = {}) =>
  workload("Pod", "web", NS, podBody({ labels: { app: "weather" }, ...extra }));

function setup(options: { cached?: ClusterView; fresh?: () => Promise<ClusterView> } = {}) {
  const metrics = createMetrics({ processMetrics: false });
  const fresh = vi.fn(options.fresh ?? (() => Promise.resolve(view())));
  const views: ClusterViews = { cached: () => options.cached ?? view(), fresh };
  const mutate = mutation({ views, settings, metrics, log });
  const count = async (name: "admissionReviews" | "sidecarInjections", labels: object) =>
    (await metrics[name].get()).values
      .filter((v) =>
        Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
      )
      .reduce((n, v) => n + v.value, 0);
  return { mutate, fresh, count };
}

const patchOf = (response: { patch?: string }) =>
  response.patch
    ? (JSON.parse(Buffer.from(response.patch, "base64").toString()) as { path: string }[])
    : [];

describe("mutation", () => {
  it("injects the proxy into a pod an MCPServer selects, from the cache alone", async () => {
    const { mutate, fresh, count } = setup();
    const request = admissionRequest(weatherPod());
    const response = await mutate(request);
    expect(response).toMatchObject({ uid: request.uid, allowed: true, patchType: "JSONPatch" });
    // The sidecar, its volumes, the injected annotation and the label the PodMonitor selects.
    expect(patchOf(response).map((op) => op.path.split("/")[2])).toEqual([
      "initContainers",
      "volumes",
      "annotations",
      "labels",
    ]);
    expect(fresh).not.toHaveBeenCalled();
    expect(await count("sidecarInjections", { outcome: "injected" })).toBe(1);
    expect(
      await count("admissionReviews", {
        webhook: "mutate",
        resource: "pods",
        decision: "allowed",
        mode: "Audit",
        transport: "sidecar",
      }),
    ).toBe(1);
  });

  it.each<[string, AdmissionRequest]>([
    ["an UPDATE", admissionRequest(weatherPod(), "UPDATE", weatherPod())],
    [
      "a Deployment",
      admissionRequest(workload("Deployment", "web", NS, podBody({ labels: { app: "weather" } }))),
    ],
    ["a subresource", { ...admissionRequest(weatherPod()), subResource: "status" }],
  ])("admits %s unchanged", async (_, request) => {
    const { mutate, count } = setup();
    expect(await mutate(request)).toEqual({ uid: request.uid, allowed: true });
    expect(await count("sidecarInjections", {})).toBe(0);
  });

  it("leaves a pod without an MCP endpoint alone, without reading the API server", async () => {
    const { mutate, fresh, count } = setup();
    const request = admissionRequest(
      workload(
        "Pod",
        "web",
        NS,
        podBody({ labels: { app: "web" }, containers: [container("web", ["http"])] }),
      ),
    );
    expect(await mutate(request)).toEqual({ uid: request.uid, allowed: true });
    expect(fresh).not.toHaveBeenCalled();
    expect(await count("sidecarInjections", { outcome: "not_selected" })).toBe(1);
  });

  it("reads the namespace afresh for an MCP pod the cache shows no MCPServer for (created together)", async () => {
    const { mutate, fresh } = setup({ cached: view([]) });
    const response = await mutate(admissionRequest(weatherPod()));
    expect(fresh).toHaveBeenCalledWith(NS);
    expect(patchOf(response)).toHaveLength(4);
  });

  it("keeps the cache's answer when that second look fails", async () => {
    const { mutate } = setup({
      cached: view([]),
      fresh: () => Promise.reject(new Error("API server unreachable")),
    });
    const request = admissionRequest(weatherPod());
    expect(await mutate(request)).toEqual({ uid: request.uid, allowed: true });
  });

  it("reads a namespace missing from the cache before deciding", async () => {
    const { mutate, fresh } = setup({ cached: view([SIDECAR], []) });
    expect(patchOf(await mutate(admissionRequest(weatherPod())))).toHaveLength(4);
    expect(fresh).toHaveBeenCalledTimes(1);
  });

  it("denies (fail closed) when the namespace cannot be read", async () => {
    const { mutate, count } = setup({
      cached: view([SIDECAR], []),
      fresh: () => Promise.reject(new Error("API server unreachable")),
    });
    const response = await mutate(admissionRequest(weatherPod()));
    expect(response).toMatchObject({
      allowed: false,
      status: {
        code: 500,
        reason: "InternalError",
        message:
          "LatticeGuard could not decide whether to inject its proxy into the pod and denies it (fail closed): API server unreachable",
      },
    });
    expect(await count("sidecarInjections", { outcome: "error" })).toBe(1);
    expect(await count("admissionReviews", { webhook: "mutate", decision: "error" })).toBe(1);
  });

  it("changes nothing the second time (reinvocation)", async () => {
    const { mutate, count } = setup();
    const pod = weatherPod({
      initContainers: [container("latticeguard-proxy", [], { restartPolicy: "Always" })],
    });
    expect(await mutate(admissionRequest(pod))).toEqual(
      expect.not.objectContaining({ patch: expect.anything() as unknown }),
    );
    expect(await count("sidecarInjections", { outcome: "already_injected" })).toBe(1);
  });

  it("passes the decision's warnings on to kubectl", async () => {
    const { mutate } = setup();
    const pod = weatherPod({ containers: [container("server", ["http"])] });
    const response = await mutate(admissionRequest(pod));
    expect(response.patch).toBeUndefined();
    expect(response.warnings?.[0]).toContain("names no container port of the pod");
  });
});

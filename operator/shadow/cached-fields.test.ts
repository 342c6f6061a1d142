import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { cachedPodFields } from "../informers.ts";
import { shadowPodFingerprint, shadowServiceFields } from "./cached-fields.ts";

const pod: V1Pod = {
  metadata: { name: "web-0", namespace: "shop", labels: { app: "web" } },
  spec: {
    serviceAccountName: "web",
    containers: [
      {
        name: "web",
        image: "example.com/web:1",
        env: [{ name: "TOKEN", value: "secret" }],
        ports: [{ name: "mcp", containerPort: 8080, protocol: "TCP" }],
      },
      { name: "quiet", image: "example.com/quiet:1" },
    ],
    initContainers: [
      { name: "setup", image: "x", ports: [{ name: "mcp", containerPort: 1 }] },
      {
        name: "latticeguard-proxy",
        image: "ghcr.io/latticeguard/latticeguard:1",
        restartPolicy: "Always",
        args: ["proxy"],
        ports: [{ name: "mcp-tls", containerPort: 8443 }],
      },
    ],
  },
  status: { podIP: "10.1.2.3", phase: "Running", conditions: [] },
};

describe("shadowPodFingerprint", () => {
  it("changes when the cached pod gets its IP, and not for fields the cache drops", () => {
    const before = cachedPodFields({ ...pod, status: {} });
    const after = cachedPodFields(pod);
    expect(shadowPodFingerprint(before)).not.toBe(shadowPodFingerprint(after));
    const other = cachedPodFields({
      ...pod,
      status: { ...pod.status, conditions: [{ type: "Ready", status: "True" }] },
    });
    expect(shadowPodFingerprint(other)).toBe(shadowPodFingerprint(after));
  });
});

describe("shadowServiceFields", () => {
  it("keeps metadata, selector and the ports' names, numbers, targets and appProtocol", () => {
    const kept = shadowServiceFields({
      metadata: { name: "web", namespace: "shop", managedFields: [{}] },
      spec: {
        selector: { app: "web" },
        clusterIP: "10.96.0.10",
        ports: [{ name: "mcp", port: 80, targetPort: 8080, appProtocol: "mcp", protocol: "TCP" }],
      },
    });
    expect(kept).toEqual({
      metadata: { name: "web", namespace: "shop" },
      spec: {
        selector: { app: "web" },
        ports: [{ name: "mcp", port: 80, targetPort: 8080, appProtocol: "mcp" }],
      },
    });
  });
});

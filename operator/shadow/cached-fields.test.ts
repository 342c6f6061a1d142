import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { issuerPodFields } from "../identity/issuer/pod-read.ts";
import { proxyOnlySpec } from "../policy/sidecar.ts";
import { shadowPodFingerprint, shadowServiceFields, withShadowPodFields } from "./cached-fields.ts";

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

describe("withShadowPodFields", () => {
  it("keeps ports (name, number), IP and phase beside what the other readers keep", () => {
    const proxy = proxyOnlySpec(pod)!;
    const lean = issuerPodFields(pod);
    const cached = withShadowPodFields({ ...lean, spec: { ...lean.spec, ...proxy } }, pod);
    expect(cached.spec).toEqual({
      serviceAccountName: "web",
      containers: [{ name: "web", ports: [{ name: "mcp", containerPort: 8080 }] }],
      initContainers: [
        {
          name: "latticeguard-proxy",
          image: "ghcr.io/latticeguard/latticeguard:1",
          restartPolicy: "Always",
          args: ["proxy"],
          ports: [{ name: "mcp-tls", containerPort: 8443 }],
        },
      ],
    });
    expect(cached.status).toEqual({ podIP: "10.1.2.3", phase: "Running" });
  });

  it("changes the fingerprint when the pod gets its IP", () => {
    const lean = issuerPodFields(pod);
    const before = withShadowPodFields(lean, { ...pod, status: {} });
    expect(shadowPodFingerprint(before)).not.toBe(
      shadowPodFingerprint(withShadowPodFields(lean, pod)),
    );
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

import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  INJECTED_ANNOTATION,
  MCP_PORT_ANNOTATION,
  TRANSPORT_ANNOTATION,
} from "../api/annotations.ts";
import { podRecord } from "./read.ts";

const pod: V1Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    namespace: "mcp",
    name: "weather-0",
    uid: "u-1",
    labels: { app: "weather" },
    annotations: {
      [TRANSPORT_ANNOTATION]: "X25519MLKEM768",
      [MCP_PORT_ANNOTATION]: "8443",
      [INJECTED_ANNOTATION]: "weather",
      "kubectl.kubernetes.io/last-applied-configuration": '{"env":"API_KEY=hunter2"}',
    },
    managedFields: [{ manager: "kubectl" }],
  },
  spec: {
    serviceAccountName: "weather",
    containers: [
      {
        name: "server",
        image: "example.com/mcp:1",
        env: [{ name: "API_KEY", value: "hunter2" }],
        ports: [{ name: "mcp", containerPort: 8443, protocol: "TCP" }, { containerPort: 9090 }],
      },
    ],
    initContainers: [
      {
        name: "proxy",
        image: "example.com/proxy:1",
        restartPolicy: "Always",
        ports: [{ name: "mcp-tls", containerPort: 9443 }],
      },
    ],
  },
  status: { phase: "Running", podIP: "10.0.0.7" },
};

describe("podRecord", () => {
  it("keeps what the findings read: labels, LatticeGuard's annotations, ports, restart policy, phase", () => {
    expect(podRecord(pod)).toEqual({
      metadata: {
        namespace: "mcp",
        name: "weather-0",
        labels: { app: "weather" },
        annotations: {
          [TRANSPORT_ANNOTATION]: "X25519MLKEM768",
          [MCP_PORT_ANNOTATION]: "8443",
          [INJECTED_ANNOTATION]: "weather",
        },
      },
      spec: {
        containers: [
          {
            name: "server",
            ports: [{ name: "mcp", containerPort: 8443 }, { containerPort: 9090 }],
          },
        ],
        initContainers: [
          {
            name: "proxy",
            restartPolicy: "Always",
            ports: [{ name: "mcp-tls", containerPort: 9443 }],
          },
        ],
      },
      status: { phase: "Running" },
    });
  });

  it("drops everything else, such as environment values and other annotations", () => {
    expect(JSON.stringify(podRecord(pod))).not.toContain("hunter2");
  });

  it("keeps a terminating pod's deletionTimestamp: terminating pods serve nothing", () => {
    const deleting = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(0) } };
    expect(podRecord(deleting).metadata?.deletionTimestamp).toEqual(new Date(0));
    expect(podRecord(pod).metadata).not.toHaveProperty("deletionTimestamp");
  });

  it("reads a pod with nothing but a name", () => {
    expect(podRecord({ metadata: { name: "bare" } })).toEqual({
      metadata: { namespace: undefined, name: "bare", labels: {}, annotations: {} },
      spec: { containers: [], initContainers: [] },
    });
  });
});

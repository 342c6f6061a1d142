import type { V1Pod, V1Service, V1ServicePort } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { container, mcpServer } from "../../webhook/testing/fixtures.ts";
import { podPortNumber, shadowCandidates } from "./classify.ts";

const pod = (
  name: string,
  labels: Record<string, string>,
  extra: Partial<V1Pod["spec"]> & {
    annotations?: Record<string, string>;
    podIP?: string;
    phase?: string;
    deleting?: boolean;
  } = {},
): V1Pod => {
  const { annotations, podIP, phase, deleting, ...spec } = extra;
  return {
    metadata: {
      name,
      namespace: "shop",
      uid: `uid-${name}`,
      labels,
      ...(annotations && { annotations }),
      ...(deleting && { deletionTimestamp: new Date(0) }),
    },
    spec: { containers: [container("web", ["mcp"])], ...spec },
    status: { ...(podIP && { podIP }), ...(phase && { phase }) },
  };
};
const service = (
  name: string,
  ports: V1ServicePort[],
  selector?: Record<string, string>,
  annotations?: Record<string, string>,
): V1Service => ({
  metadata: { name, namespace: "shop", uid: `uid-${name}`, ...(annotations && { annotations }) },
  spec: { ports, ...(selector && { selector }) },
});
const weather = mcpServer("shop", "weather", { app: "weather" });
const find = (pods: V1Pod[], services: V1Service[] = [], servers = [weather]) =>
  shadowCandidates("shop", { pods, services, servers });
const plainPod = (name: string, labels: Record<string, string>, podIP = "10.0.0.9") =>
  pod(name, labels, {
    containers: [{ name: "app", ports: [{ name: "http", containerPort: 8080 }] }],
    podIP,
  });

describe("shadowCandidates: pods", () => {
  it.each<[string, V1Pod, string | undefined]>([
    ["an MCP port name, uncovered", pod("a", { app: "shop" }), "PortName"],
    ["an MCP port name, covered", pod("a", { app: "weather" }), undefined],
    ["no MCP port", plainPod("a", { app: "shop" }), undefined],
    [
      "the annotation",
      pod("a", {}, { containers: [], annotations: { "latticeguard.dev/mcp-port": "9000" } }),
      "Annotation",
    ],
    [
      "a restartable init container's port",
      pod(
        "a",
        {},
        {
          containers: [],
          initContainers: [container("s", ["mcp-x"], { restartPolicy: "Always" })],
        },
      ),
      "PortName",
    ],
    [
      "an init container that runs to completion",
      pod("a", {}, { containers: [], initContainers: [container("s", ["mcp"])] }),
      undefined,
    ],
    ["a terminating pod", pod("a", {}, { deleting: true }), undefined],
    ["a finished pod", pod("a", {}, { phase: "Succeeded" }), undefined],
    ["a failed pod", pod("a", {}, { phase: "Failed" }), undefined],
  ])("%s", (_what, p, reason) => {
    expect(find([p])[0]?.reason).toBe(reason);
  });

  it("names the port, the reason and where to probe", () => {
    const p = pod("web-0", { app: "shop" }, { podIP: "10.1.2.3" });
    expect(find([p])).toEqual([
      {
        kind: "Pod",
        namespace: "shop",
        name: "web-0",
        uid: "uid-web-0",
        port: 8080,
        reason: "PortName",
        message: 'port "mcp" of container "web"',
        target: { host: "10.1.2.3", port: 8080, uid: "uid-web-0" },
      },
    ]);
  });

  it("has no probe target without a pod IP, or for an annotation naming no port", () => {
    expect(find([pod("a", {})])[0]?.target).toBeUndefined();
    const named = pod(
      "b",
      {},
      { containers: [], annotations: { "latticeguard.dev/mcp-port": "rpc" }, podIP: "10.0.0.1" },
    );
    expect(find([named])[0]).toMatchObject({ reason: "Annotation" });
    expect(find([named])[0]?.port).toBeUndefined();
    expect(find([named])[0]?.target).toBeUndefined();
  });

  it("hints TLS when the MCP port's name or number says so", () => {
    const tls = (ports: { name: string; containerPort: number }[], annotations = {}) =>
      find([
        pod("a", {}, { containers: [{ name: "c", ports }], annotations, podIP: "10.0.0.1" }),
      ])[0]?.target?.tlsHinted;
    expect(tls([{ name: "mcp", containerPort: 8080 }])).toBeUndefined();
    expect(tls([{ name: "mcp-tls", containerPort: 8080 }])).toBe(true);
    expect(tls([{ name: "mcp", containerPort: 8443 }])).toBe(true);
    const annotated = { "latticeguard.dev/mcp-port": "9000" };
    expect(tls([{ name: "https", containerPort: 9000 }], annotated)).toBe(true);
    expect(tls([{ name: "http", containerPort: 9000 }], annotated)).toBeUndefined();
  });

  it("sorts by name", () => {
    expect(find([pod("b", {}), pod("a", {})]).map((c) => c.name)).toEqual(["a", "b"]);
  });
});

describe("shadowCandidates: Services", () => {
  const mcpPort = (extra: Partial<V1ServicePort> = {}): V1ServicePort => ({ port: 80, ...extra });
  it.each<[string, V1Service, V1Pod[], string | undefined]>([
    [
      "appProtocol latticeguard.dev/mcp, backed by an uncovered pod",
      service("s", [mcpPort({ appProtocol: "latticeguard.dev/mcp" })], { app: "shop" }),
      [plainPod("p", { app: "shop" })],
      "AppProtocol",
    ],
    [
      "appProtocol mcp",
      service("s", [mcpPort({ appProtocol: "mcp" })], { app: "shop" }),
      [plainPod("p", { app: "shop" })],
      "AppProtocol",
    ],
    [
      "another appProtocol",
      service("s", [mcpPort({ appProtocol: "http" })], { app: "shop" }),
      [plainPod("p", { app: "shop" })],
      undefined,
    ],
    [
      "a port named mcp-http",
      service("s", [mcpPort({ name: "mcp-http" })], { app: "shop" }),
      [plainPod("p", { app: "shop" })],
      "PortName",
    ],
    [
      "the annotation",
      service("s", [mcpPort()], { app: "shop" }, { "latticeguard.dev/mcp-port": "80" }),
      [plainPod("p", { app: "shop" })],
      "Annotation",
    ],
    [
      "every pod it selects covered",
      service("s", [mcpPort({ name: "mcp" })], { app: "weather" }),
      [plainPod("p", { app: "weather" })],
      undefined,
    ],
    [
      "one of its pods uncovered",
      service("s", [mcpPort({ name: "mcp" })], { tier: "web" }),
      [plainPod("p", { app: "weather", tier: "web" }), plainPod("q", { tier: "web" })],
      "PortName",
    ],
    ["no pod behind it", service("s", [mcpPort({ name: "mcp" })], { app: "shop" }), [], undefined],
    ["no selector", service("s", [mcpPort({ name: "mcp" })]), [], "PortName"],
  ])("%s", (_what, s, pods, reason) => {
    expect(find(pods, [s]).find((c) => c.kind === "Service")?.reason).toBe(reason);
  });

  it("probes the first uncovered pod it selects on the pod port its targetPort names", () => {
    const s = service("s", [mcpPort({ name: "mcp", targetPort: "http" })], {
      tier: "web",
    });
    const pods = [
      plainPod("c", { tier: "web" }, "10.0.0.3"),
      plainPod("b", { tier: "web" }, "10.0.0.2"),
      plainPod("a", { tier: "web", app: "weather" }, "10.0.0.1"),
    ];
    expect(find(pods, [s])).toEqual([
      {
        kind: "Service",
        namespace: "shop",
        name: "s",
        uid: "uid-s",
        port: 80,
        reason: "PortName",
        message: 'port "mcp"; no MCPServer selects 2 of the 3 pod(s) it selects',
        target: { host: "10.0.0.2", port: 8080, uid: "uid-b" },
      },
    ]);
  });

  it.each<[string, V1ServicePort, true | undefined]>([
    ["a plain MCP port", mcpPort({ name: "mcp", targetPort: "http" }), undefined],
    ["a port named mcp-tls", mcpPort({ name: "mcp-tls", targetPort: "http" }), true],
    ["appProtocol https", mcpPort({ name: "mcp", targetPort: 8080, appProtocol: "https" }), true],
    ["port 443", mcpPort({ name: "mcp", port: 443, targetPort: "http" }), true],
  ])("hints TLS for %s", (_what, port, hinted) => {
    const s = service("s", [port], { tier: "web" });
    const [c] = find([plainPod("b", { tier: "web" })], [s]).filter((x) => x.kind === "Service");
    expect(c?.target?.tlsHinted).toBe(hinted);
  });

  it("says why a Service without a selector cannot be covered", () => {
    const [c] = find([], [service("s", [mcpPort({ appProtocol: "mcp" })])]);
    expect(c?.message).toBe(
      "port 80 has appProtocol mcp; no selector, so no MCPServer can cover it",
    );
    expect(c?.target).toBeUndefined();
  });
});

describe("podPortNumber", () => {
  const p = pod(
    "a",
    {},
    { containers: [{ name: "c", ports: [{ name: "rpc", containerPort: 7000 }] }] },
  );
  it.each<[string | number | undefined, number | undefined]>([
    ["rpc", 7000],
    ["9000", 9000],
    [9000, 9000],
    ["0", undefined],
    ["70000", undefined],
    ["other", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("%j → %j", (name, expected) => {
    expect(podPortNumber(p, name)).toBe(expected);
  });
});

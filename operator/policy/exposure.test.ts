import { describe, expect, it } from "vitest";
import type { V1Container } from "@kubernetes/client-node";
import { container, mcpServer } from "../../webhook/testing/fixtures.ts";
import {
  coveringServers,
  describeExposure,
  isMcpPortName,
  mcpExposure,
  portNumber,
  type PodShape,
} from "./exposure.ts";

const pod = (
  labels: Record<string, string>,
  containers: V1Container[],
  extra: { initContainers?: V1Container[]; annotations?: Record<string, string> } = {},
): PodShape => ({
  metadata: { labels, annotations: extra.annotations ?? {} },
  spec: { containers, initContainers: extra.initContainers },
});
const servers = [
  mcpServer("shop", "weather", { app: "weather" }),
  mcpServer("shop", "all-mcp", { mcp: "yes" }),
];

describe("isMcpPortName", () => {
  it.each([
    ["mcp", true],
    ["mcp-http", true],
    ["mcp-1", true],
    ["mcp-", false],
    ["mcpx", false],
    ["http-mcp", false],
    ["MCP", false],
    ["", false],
    [undefined, false],
  ])("%j → %s", (name, expected) => {
    expect(isMcpPortName(name)).toBe(expected);
  });
});

describe("mcpExposure", () => {
  it.each<[string, PodShape, string[]]>([
    ["a plain web pod exposes nothing", pod({ app: "web" }, [container("web", ["http"])]), []],
    ["a pod without spec or metadata exposes nothing", {}, []],
    [
      "an MCPServer selecting the pod",
      pod({ app: "weather" }, [container("server", ["http"])]),
      ["MCPServer:metadata.labels"],
    ],
    [
      "two MCPServers selecting the pod, sorted by name",
      pod({ app: "weather", mcp: "yes" }, [container("server")]),
      ["MCPServer:metadata.labels", "MCPServer:metadata.labels"],
    ],
    [
      "a container port named mcp",
      pod({}, [container("server", ["mcp"])]),
      ["Port:spec.containers[0].ports[0].name"],
    ],
    [
      "a port named mcp-* in the second of several containers",
      pod({}, [container("proxy", ["http"]), container("server", ["metrics", "mcp-sse"])]),
      ["Port:spec.containers[1].ports[1].name"],
    ],
    [
      "every MCP port of every container",
      pod({}, [container("a", ["mcp"]), container("b", ["mcp-2"])]),
      ["Port:spec.containers[0].ports[0].name", "Port:spec.containers[1].ports[0].name"],
    ],
    [
      "a restartable init container (sidecar) with an mcp port",
      pod({}, [container("app", ["http"])], {
        initContainers: [container("sidecar", ["mcp"], { restartPolicy: "Always" })],
      }),
      ["Port:spec.initContainers[0].ports[0].name"],
    ],
    [
      "an init container that runs to completion does not count",
      pod({}, [container("app", ["http"])], { initContainers: [container("setup", ["mcp"])] }),
      [],
    ],
    [
      "the mcp-port annotation",
      pod({}, [container("app", ["http"])], {
        annotations: { "latticeguard.dev/mcp-port": "8080" },
      }),
      ["Annotation:metadata.annotations[latticeguard.dev/mcp-port]"],
    ],
    [
      "all three rules at once",
      pod({ app: "weather" }, [container("server", ["mcp"])], {
        annotations: { "latticeguard.dev/mcp-port": "mcp" },
      }),
      [
        "MCPServer:metadata.labels",
        "Port:spec.containers[0].ports[0].name",
        "Annotation:metadata.annotations[latticeguard.dev/mcp-port]",
      ],
    ],
  ])("%s", (_name, shape, expected) => {
    expect(mcpExposure(shape, servers).map((r) => `${r.kind}:${r.field}`)).toEqual(expected);
  });

  it("ignores ephemeral containers, which cannot declare ports", () => {
    const shape = {
      metadata: {},
      spec: {
        containers: [container("app", ["http"])],
        ephemeralContainers: [{ name: "debug", ports: [{ name: "mcp", containerPort: 1 }] }],
      },
    } as PodShape;
    expect(mcpExposure(shape, servers)).toEqual([]);
  });

  it("only counts servers it is given (the caller passes the pod's namespace's)", () => {
    expect(mcpExposure(pod({ app: "weather" }, [container("s")]), [])).toEqual([]);
  });
});

describe("portNumber", () => {
  const ports = (name: string, containerPort: number, restartPolicy?: string): V1Container => ({
    name: `c-${name}`,
    ...(restartPolicy && { restartPolicy }),
    ports: [{ name, containerPort }],
  });
  const shaped = pod({}, [ports("mcp", 8443)], {
    initContainers: [ports("mcp-tls", 9443, "Always"), ports("setup", 1000)],
  });
  it.each([
    ["a number as it is", 7000, 7000],
    ["a container's named port", "mcp", 8443],
    ["a native sidecar's named port", "mcp-tls", 9443],
    ["no init container that runs to completion", "setup", undefined],
    ["no port of another name", "http", undefined],
  ])("gives %s", (_, port, expected) => {
    expect(portNumber(shaped, port)).toBe(expected);
  });
});

describe("coveringServers", () => {
  it("returns the selecting servers sorted by name", () => {
    const names = coveringServers({ app: "weather", mcp: "yes" }, servers).map(
      (s) => s.metadata.name,
    );
    expect(names).toEqual(["all-mcp", "weather"]);
  });
});

describe("describeExposure", () => {
  it.each([
    [
      { kind: "MCPServer", name: "w", field: "metadata.labels" } as const,
      'MCPServer "w" selects it',
    ],
    [
      { kind: "Port", container: "s", port: "mcp", field: "f" } as const,
      'port "mcp" of container "s"',
    ],
    [
      { kind: "Annotation", value: "8080", field: "f" } as const,
      "annotation latticeguard.dev/mcp-port=8080",
    ],
  ])("%j", (reason, text) => {
    expect(describeExposure(reason)).toBe(text);
  });
});

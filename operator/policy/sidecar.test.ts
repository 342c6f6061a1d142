import type { V1Container } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  PROXY_DEFAULT_GROUPS,
  hasProxySidecar,
  proxyContainer,
  proxyGroups,
  proxyOnlySpec,
  ruleSpec,
  sidecarProblems,
  type SidecarShape,
} from "./sidecar.ts";
import { podTransport } from "./transport.ts";

const IMAGE = "ghcr.io/latticeguard/latticeguard:0.1.0";
const ALL = { keyExchange: [...PROXY_DEFAULT_GROUPS] } as Parameters<typeof sidecarProblems>[1];
const ONLY_1024 = { keyExchange: ["MLKEM1024"] } as Parameters<typeof sidecarProblems>[1];
const server: V1Container = { name: "server", image: "example.com/mcp:1" };
const proxy = (extra: Partial<V1Container> = {}): V1Container => ({
  name: "latticeguard-proxy",
  image: IMAGE,
  restartPolicy: "Always",
  args: ["proxy", "--listen=$(POD_IP):8443", "--groups=X25519MLKEM768,MLKEM1024"],
  ...extra,
});
const pod = (init: V1Container[], containers: V1Container[] = [server]): SidecarShape => ({
  spec: { containers, initContainers: init },
});

describe("proxyGroups", () => {
  it.each<[string[] | undefined, string[]]>([
    [["proxy", "--groups=MLKEM1024"], ["MLKEM1024"]],
    [
      ["proxy", "--groups", "MLKEM1024,X25519MLKEM768"],
      ["MLKEM1024", "X25519MLKEM768"],
    ],
    [
      ["proxy", "--groups=MLKEM1024", "--groups=X25519"],
      ["MLKEM1024", "X25519"],
    ],
    [["proxy"], [...PROXY_DEFAULT_GROUPS]],
    [undefined, [...PROXY_DEFAULT_GROUPS]],
    [["proxy", "--groups"], [...PROXY_DEFAULT_GROUPS]],
  ])("%j → %j", (args, groups) => {
    expect(proxyGroups({ args })).toEqual(groups);
  });
});

describe("sidecarProblems", () => {
  it.each<[string, SidecarShape, Parameters<typeof sidecarProblems>[1], string[]]>([
    ["the injected proxy counts", pod([proxy()]), ALL, []],
    ["no proxy: nothing to say", pod([]), ALL, []],
    [
      "another image",
      pod([proxy({ image: "example.com/fake-proxy:1" })]),
      ALL,
      ["spec.initContainers[0].image"],
    ],
    [
      "a group the policy forbids",
      pod([proxy({ args: ["proxy", "--groups=X25519MLKEM768,X25519"] })]),
      ALL,
      ["spec.initContainers[0].args"],
    ],
    [
      "the default groups under a policy of one group",
      pod([proxy({ args: ["proxy"] })]),
      ONLY_1024,
      ["spec.initContainers[0].args"],
    ],
    [
      "a run-to-completion init container",
      pod([server, proxy({ restartPolicy: undefined })]),
      ALL,
      ["spec.initContainers[1].restartPolicy"],
    ],
    [
      "a regular container",
      pod([], [server, proxy({ restartPolicy: undefined })]),
      ALL,
      ["spec.containers[1].name"],
    ],
  ])("%s", (_, shape, policy, fields) => {
    expect(sidecarProblems(shape, policy, IMAGE).map((p) => p.field)).toEqual(fields);
    expect(hasProxySidecar(shape, policy, IMAGE)).toBe(
      fields.length === 0 && proxyContainer(shape) !== undefined,
    );
  });

  it("names the image to use, and the groups to offer", () => {
    const problems = sidecarProblems(
      pod([proxy({ image: "example.com/x:1", args: ["proxy", "--groups=X25519MLKEM768"] })]),
      ONLY_1024,
      IMAGE,
    );
    expect(problems.map((p) => p.message)).toEqual([
      `must be the LatticeGuard proxy image ${IMAGE}, not example.com/x:1`,
      "--groups offers X25519MLKEM768, which the policy does not allow: offer only MLKEM1024",
    ]);
  });

  it("trusts no proxy when no image is configured", () => {
    expect(sidecarProblems(pod([proxy()]), ALL, undefined)[0]?.message).toContain(
      "no LatticeGuard proxy image is configured",
    );
  });
});

describe("podTransport", () => {
  const claim = { annotations: { "latticeguard.dev/transport": "MLKEM1024" } };
  it.each<[string, Parameters<typeof podTransport>[0], string | undefined]>([
    ["a sidecar", pod([proxy()]), "sidecar"],
    ["a sidecar and a claim: the sidecar", { ...pod([proxy()]), metadata: claim }, "sidecar"],
    ["a claim", { ...pod([]), metadata: claim }, "claim"],
    [
      "a bad sidecar and a claim: the claim",
      { ...pod([proxy({ image: "x" })]), metadata: claim },
      "claim",
    ],
    ["a bad sidecar", pod([proxy({ image: "x" })]), undefined],
    ["neither", pod([]), undefined],
  ])("%s", (_, shape, transport) => {
    expect(podTransport(shape, ALL, IMAGE)).toBe(transport);
  });
});

describe("proxyOnlySpec", () => {
  it("keeps the proxy's name, image, restart policy and args, and nothing of any other container", () => {
    const full = proxy({
      env: [{ name: "POD_IP" }],
      resources: { requests: { cpu: "10m" } },
      ports: [{ containerPort: 15090 }],
    });
    expect(proxyOnlySpec(pod([server, full], [server]))).toEqual({
      containers: [],
      initContainers: [
        { name: full.name, image: full.image, restartPolicy: "Always", args: full.args },
      ],
    });
    expect(proxyOnlySpec(pod([], [server]))).toBeUndefined();
  });

  it("keeps what sidecarProblems reads, so a cached pod is judged like the pod", () => {
    for (const shape of [pod([proxy()]), pod([proxy({ image: "x" })]), pod([], [proxy()])]) {
      const cached = { spec: proxyOnlySpec(shape) };
      expect(sidecarProblems(cached, ALL, IMAGE).length > 0).toBe(
        sidecarProblems(shape, ALL, IMAGE).length > 0,
      );
    }
  });
});

describe("ruleSpec", () => {
  it("keeps what the pod rule reads: names, restart policies, ports, and the proxy's image and args", () => {
    const pod = {
      spec: {
        containers: [
          {
            name: "server",
            image: "example.com/mcp:1",
            env: [{ name: "TOKEN", value: "secret" }],
            ports: [{ name: "mcp", containerPort: 8443, protocol: "TCP" }],
          },
        ],
        initContainers: [
          {
            name: "latticeguard-proxy",
            image: "ghcr.io/latticeguard/latticeguard:0.1.0",
            restartPolicy: "Always",
            args: ["proxy", "--groups=X25519MLKEM768"],
            env: [{ name: "X", value: "y" }],
          },
        ],
      },
    };
    expect(ruleSpec(pod)).toEqual({
      containers: [{ name: "server", ports: [{ name: "mcp", containerPort: 8443 }] }],
      initContainers: [
        {
          name: "latticeguard-proxy",
          restartPolicy: "Always",
          image: "ghcr.io/latticeguard/latticeguard:0.1.0",
          args: ["proxy", "--groups=X25519MLKEM768"],
        },
      ],
    });
  });
});

import type { V1Container, V1Volume } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { CryptoPolicy, MCPServer } from "../operator/api/types.generated.ts";
import { mergePolicies } from "../operator/policy/merge.ts";
import { injectionPatch } from "./injection-patch.ts";
import {
  mutatePod,
  planInjection,
  type InjectablePod,
  type InjectionSettings,
  type SkipReason,
} from "./injection.ts";
import { container, mcpServer, policy } from "./testing/fixtures.ts";
import { applyPatch } from "./testing/json-patch.ts";

const NS = "shop";
const IMAGE = "ghcr.io/latticeguard/latticeguard:0.1.0";
const ISSUER = "https://latticeguard-issuer.latticeguard-system.svc:8443";
const settings: InjectionSettings = {
  proxyImage: IMAGE,
  issuerUrl: ISSUER,
  bundleConfigMap: "latticeguard-trust-bundle",
};
const ENFORCE = policy("enforce", { enforcement: "Enforce" });
const WARN = policy("warn", { enforcement: "Warn" });
const AUDIT = policy("audit");
const OPT_OUT = policy("opt-out", {
  enforcement: "Enforce",
  transport: { keyExchange: ["X25519MLKEM768", "MLKEM1024"], allowOptOut: true },
});
const LABELS = { app: "weather" };
const server = (name: string, mode?: "Auto" | "Sidecar" | "Disabled", extra = {}) =>
  mcpServer(NS, name, LABELS, { ...(mode && { proxy: { mode } }), ...extra });
const SIDECAR = server("weather", "Sidecar");
const AUTO = server("weather");

function pod(
  extra: {
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    containers?: V1Container[];
    initContainers?: V1Container[];
    volumes?: V1Volume[];
    hostNetwork?: boolean;
  } = {},
): InjectablePod {
  const { annotations, labels, containers, ...spec } = extra;
  return {
    metadata: { labels: labels ?? LABELS, ...(annotations && { annotations }) },
    spec: { containers: containers ?? [container("server", ["mcp"])], ...spec },
  };
}

function plan(p: InjectablePod, servers: MCPServer[], policies: CryptoPolicy[], s = settings) {
  const effective = mergePolicies(policies).policy;
  return planInjection({ pod: p, namespace: NS, servers, policy: effective, settings: s });
}

describe("planInjection", () => {
  it.each<[string, InjectablePod, MCPServer[], CryptoPolicy[], "Inject" | SkipReason]>([
    ["mode Sidecar, even under Audit", pod(), [SIDECAR], [AUDIT], "Inject"],
    ["mode Auto under Enforce", pod(), [AUTO], [ENFORCE], "Inject"],
    ["mode Auto under Warn: not asked for", pod(), [AUTO], [WARN], "NotSelected"],
    [
      "mode Disabled under Enforce",
      pod(),
      [server("weather", "Disabled")],
      [ENFORCE],
      "NotSelected",
    ],
    [
      "a pod no MCPServer selects",
      pod({ labels: { app: "web" } }),
      [SIDECAR],
      [ENFORCE],
      "NotSelected",
    ],
    [
      "a pod that already has the proxy",
      pod({ initContainers: [{ name: "latticeguard-proxy", image: "anything" }] }),
      [SIDECAR],
      [ENFORCE],
      "AlreadyInjected",
    ],
    [
      "opted out where the policy allows it",
      pod({ annotations: { "latticeguard.dev/inject": "false" } }),
      [SIDECAR],
      [OPT_OUT],
      "OptedOut",
    ],
    [
      "opted out where the policy does not allow it",
      pod({ annotations: { "latticeguard.dev/inject": "false" } }),
      [SIDECAR],
      [ENFORCE],
      "Inject",
    ],
    [
      "inject: true is no opt-out",
      pod({ annotations: { "latticeguard.dev/inject": "true" } }),
      [SIDECAR],
      [OPT_OUT],
      "Inject",
    ],
    ["the node's network", pod({ hostNetwork: true }), [SIDECAR], [ENFORCE], "HostNetwork"],
    [
      "a port name the pod does not declare",
      pod({ containers: [container("server", ["http"])] }),
      [SIDECAR],
      [ENFORCE],
      "PortNotFound",
    ],
    [
      "a port number, declared or not",
      pod({ containers: [container("server", ["http"])] }),
      [server("weather", "Sidecar", { port: 9000 })],
      [ENFORCE],
      "Inject",
    ],
    [
      "the proxy's metrics port",
      pod(),
      [server("weather", "Sidecar", { port: 15090 })],
      [ENFORCE],
      "PortConflict",
    ],
    [
      "a pod declaring the proxy's metrics port",
      pod({
        containers: [
          container("server", ["mcp"]),
          { name: "m", ports: [{ containerPort: 15090 }] },
        ],
      }),
      [SIDECAR],
      [ENFORCE],
      "PortConflict",
    ],
    [
      "a volume of the proxy's name (an agent pod)",
      pod({ volumes: [{ name: "latticeguard-token", emptyDir: {} }] }),
      [SIDECAR],
      [ENFORCE],
      "VolumeConflict",
    ],
    [
      "policies that allow no group together",
      pod(),
      [SIDECAR],
      [
        ENFORCE,
        policy("strict", { transport: { keyExchange: ["MLKEM1024"] }, minimumSecurityCategory: 3 }),
        policy("other", { transport: { keyExchange: ["X25519MLKEM768"] } }),
      ],
      "PolicyConflict",
    ],
  ])("%s", (_, p, servers, policies, expected) => {
    const result = plan(p, servers, policies);
    expect(result.action === "Inject" ? "Inject" : result.reason).toBe(expected);
  });

  it("injects nothing without a proxy image", () => {
    expect(plan(pod(), [SIDECAR], [ENFORCE], { ...settings, proxyImage: undefined })).toEqual({
      action: "Skip",
      reason: "InjectionOff",
      warnings: [],
    });
  });

  it("warns when it ignores an opt-out the policy does not allow", () => {
    const p = pod({ annotations: { "latticeguard.dev/inject": "false" } });
    expect(plan(p, [SIDECAR], [ENFORCE]).warnings).toEqual([
      'latticeguard.dev/inject: "false" is ignored: CryptoPolicy "enforce" does not allow opting out (`spec.transport.allowOptOut`), so LatticeGuard\'s proxy is injected',
    ]);
  });

  it("serves the first of several MCPServers by name, and warns", () => {
    const result = plan(pod(), [server("zeta", "Sidecar"), server("alpha", "Sidecar")], [AUDIT]);
    expect(result.action === "Inject" && result.server.metadata.name).toBe("alpha");
    expect(result.warnings).toEqual([
      'MCPServers "alpha", "zeta" all select this pod and ask for LatticeGuard\'s proxy: only "alpha" is served; narrow their `spec.selector` so that one MCPServer selects it',
    ]);
  });

  it("says what to change when it cannot inject", () => {
    const p = pod({ containers: [container("server", ["http"])] });
    expect(plan(p, [SIDECAR], [ENFORCE]).warnings).toEqual([
      'LatticeGuard\'s proxy for MCPServer "weather" is not injected: its `spec.port` "mcp" names no container port of the pod; declare a container port named "mcp" or set `spec.port` to a number',
    ]);
  });
});

describe("the sidecar", () => {
  it("is the design's: native sidecar on the pod IP and the MCP port, forwarding to loopback", () => {
    const result = plan(pod(), [SIDECAR], [ENFORCE]);
    if (result.action !== "Inject") throw new Error(result.reason);
    expect(result.port).toBe(8080);
    expect(result.container).toEqual({
      name: "latticeguard-proxy",
      image: IMAGE,
      restartPolicy: "Always",
      args: [
        "proxy",
        "--listen=$(POD_IP):8080",
        "--upstream=127.0.0.1:8080",
        "--mcpserver=shop/weather",
        `--issuer=${ISSUER}`,
        "--groups=X25519MLKEM768,SecP256r1MLKEM768,SecP384r1MLKEM1024,MLKEM1024",
        "--algorithm=ML-DSA-65",
        "--allow=namespace:shop",
      ],
      env: [{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }],
      // The design's lg-proxy-metrics is one character longer than the API server allows.
      ports: [{ name: "lgproxy-metrics", containerPort: 15090 }],
      startupProbe: {
        exec: {
          command: [
            "node",
            "operator/bin/latticeguard.mjs",
            "proxy",
            "--check",
            "--identity-dir=/var/run/latticeguard.dev/identity",
          ],
        },
        periodSeconds: 1,
        failureThreshold: 120,
      },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      },
      resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
      volumeMounts: [
        {
          name: "latticeguard-token",
          mountPath: "/var/run/secrets/latticeguard.dev/identity",
          readOnly: true,
        },
        {
          name: "latticeguard-trust",
          mountPath: "/var/run/latticeguard.dev/trust",
          readOnly: true,
        },
        { name: "latticeguard-identity", mountPath: "/var/run/latticeguard.dev/identity" },
      ],
    });
    expect(result.volumes).toEqual([
      {
        name: "latticeguard-token",
        projected: {
          sources: [
            {
              serviceAccountToken: {
                audience: "latticeguard.dev/identity",
                expirationSeconds: 3600,
                path: "token",
              },
            },
          ],
        },
      },
      { name: "latticeguard-trust", configMap: { name: "latticeguard-trust-bundle" } },
      { name: "latticeguard-identity", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
    ]);
  });

  it.each<[string, Partial<MCPServer["spec"]>, CryptoPolicy[], string[]]>([
    [
      "allows the callers of spec.clients",
      {
        clients: [
          { namespace: "agents" },
          { namespace: "ops", serviceAccount: "bot" },
          { spiffeId: "spiffe://other.example/ns/x/sa/y" },
        ],
      },
      [AUDIT],
      [
        "--allow=namespace:agents",
        "--allow=serviceaccount:ops/bot",
        "--allow=spiffe:spiffe://other.example/ns/x/sa/y",
      ],
    ],
    ["allows nobody with an empty spec.clients", { clients: [] }, [AUDIT], ["--allow=none"]],
    [
      "allows the MCPServer's own namespace without spec.clients",
      {},
      [AUDIT],
      [`--allow=namespace:${NS}`],
    ],
    [
      "offers only the groups the policy allows, and its identity algorithm",
      {},
      [OPT_OUT, policy("cat5", { minimumSecurityCategory: 5 })],
      ["--groups=MLKEM1024", "--algorithm=ML-DSA-87"],
    ],
    [
      "takes the MCPServer's identity algorithm where the policy allows it",
      { identity: { algorithm: "ML-DSA-87" } },
      [AUDIT],
      ["--algorithm=ML-DSA-87"],
    ],
    [
      "falls back to the policy's where it does not",
      { identity: { algorithm: "ML-DSA-44" } },
      [AUDIT],
      ["--algorithm=ML-DSA-65"],
    ],
  ])("%s", (_, spec, policies, args) => {
    const result = plan(pod(), [server("weather", "Sidecar", spec)], policies);
    if (result.action !== "Inject") throw new Error(result.reason);
    const flags = result.container.args!;
    const shown = flags.filter((a) => args.some((x) => x.split("=")[0] === a.split("=")[0]));
    expect(shown).toEqual(args);
  });
});

describe("the patch", () => {
  it("creates the lists and the annotations where the pod has none", () => {
    const p = pod();
    const {
      patch,
      outcome,
      server: name,
    } = mutatePod({
      pod: p,
      namespace: NS,
      servers: [SIDECAR],
      policy: mergePolicies([ENFORCE]).policy,
      settings,
    });
    expect([outcome, name]).toEqual(["Injected", "weather"]);
    expect(patch.map((o) => [o.op, o.path])).toEqual([
      ["add", "/spec/initContainers"],
      ["add", "/spec/volumes"],
      ["add", "/metadata/annotations"],
      ["add", "/metadata/labels/latticeguard.dev~1proxied"],
    ]);
    const patched = applyPatch(p, patch);
    expect(patched.spec?.initContainers?.map((c) => c.name)).toEqual(["latticeguard-proxy"]);
    expect(patched.spec?.volumes?.map((v) => v.name)).toEqual([
      "latticeguard-token",
      "latticeguard-trust",
      "latticeguard-identity",
    ]);
    expect(patched.metadata?.annotations).toEqual({ "latticeguard.dev/injected": "weather" });
    expect(patched.metadata?.labels).toEqual({ ...LABELS, "latticeguard.dev/proxied": "true" });
  });

  it("creates the labels of a pod that has none", () => {
    const result = plan(pod(), [SIDECAR], [ENFORCE]);
    if (result.action !== "Inject") throw new Error(result.reason);
    const bare: InjectablePod = { metadata: {}, spec: pod().spec };
    const patch = injectionPatch(bare, result);
    expect(patch.at(-1)).toEqual({
      op: "add",
      path: "/metadata/labels",
      value: { "latticeguard.dev/proxied": "true" },
    });
    expect(applyPatch(bare, patch).metadata?.labels).toEqual({
      "latticeguard.dev/proxied": "true",
    });
  });

  it("sets the label to true where the pod claims otherwise", () => {
    const p = pod({ labels: { ...LABELS, "latticeguard.dev/proxied": "false" } });
    const result = plan(p, [SIDECAR], [ENFORCE]);
    if (result.action !== "Inject") throw new Error(result.reason);
    expect(applyPatch(p, injectionPatch(p, result)).metadata?.labels).toEqual({
      ...LABELS,
      "latticeguard.dev/proxied": "true",
    });
  });

  it("puts the proxy first, keeps the pod's own init containers, volumes, annotations and labels", () => {
    const p = pod({
      annotations: { team: "a" },
      initContainers: [container("setup")],
      volumes: [{ name: "data", emptyDir: {} }],
    });
    const result = plan(p, [SIDECAR], [ENFORCE]);
    if (result.action !== "Inject") throw new Error(result.reason);
    const patch = injectionPatch(p, result);
    expect(patch.map((o) => o.path)).toEqual([
      "/spec/initContainers/0",
      "/spec/volumes/-",
      "/spec/volumes/-",
      "/spec/volumes/-",
      "/metadata/annotations/latticeguard.dev~1injected",
      "/metadata/labels/latticeguard.dev~1proxied",
    ]);
    const patched = applyPatch(p, patch);
    expect(patched.spec?.initContainers?.map((c) => c.name)).toEqual([
      "latticeguard-proxy",
      "setup",
    ]);
    expect(patched.spec?.volumes?.map((v) => v.name)).toEqual([
      "data",
      "latticeguard-token",
      "latticeguard-trust",
      "latticeguard-identity",
    ]);
    expect(patched.metadata?.annotations).toEqual({
      team: "a",
      "latticeguard.dev/injected": "weather",
    });
    expect(patched.metadata?.labels).toEqual({ ...LABELS, "latticeguard.dev/proxied": "true" });
  });

  it("is idempotent: a patched pod is left alone, so a second call never injects twice", () => {
    const input = {
      pod: pod(),
      namespace: NS,
      servers: [SIDECAR],
      policy: mergePolicies([ENFORCE]).policy,
      settings,
    };
    const once = applyPatch(input.pod, mutatePod(input).patch);
    expect(mutatePod({ ...input, pod: once })).toEqual({
      patch: [],
      warnings: [],
      outcome: "AlreadyInjected",
    });
  });
});

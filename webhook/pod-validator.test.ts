import type { V1Container } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { CryptoPolicy } from "../operator/api/types.generated.ts";
import { mergePolicies } from "../operator/policy/merge.ts";
import { staticView } from "./cluster-view.ts";
import { mutatePod } from "./injection.ts";
import { podTemplateValidator } from "./pod-validator.ts";
import { container, mcpServer, namespace, podBody, policy, workload } from "./testing/fixtures.ts";
import { applyPatch } from "./testing/json-patch.ts";
import {
  AUDIT,
  ENFORCE,
  INJECTION,
  NS,
  PQ,
  SELECT,
  WARN,
  WEATHER,
  fields,
  runPodValidator,
} from "./testing/run-pod.ts";

describe("pods under Enforce", () => {
  it.each<[string, ReturnType<typeof podBody>, string[]]>([
    [
      "a pod with no MCP endpoint is admitted",
      podBody({ containers: [container("web", ["http"])] }),
      [],
    ],
    [
      "a covered pod with an allowed group is admitted",
      podBody({ labels: { app: "weather" }, annotations: PQ }),
      [],
    ],
    [
      "a selected pod without the transport annotation",
      podBody({ labels: { app: "weather" }, containers: [container("s", ["http"])] }),
      ["metadata.annotations[latticeguard.dev/transport]"],
    ],
    [
      "an mcp port without a covering MCPServer",
      podBody({ labels: { app: "other" }, annotations: PQ }),
      ["metadata.labels"],
    ],
    [
      "an mcp port with neither server nor transport",
      podBody({ labels: { app: "other" } }),
      ["metadata.labels", "metadata.annotations[latticeguard.dev/transport]"],
    ],
    [
      "a classical group",
      podBody({
        labels: { app: "weather" },
        annotations: { "latticeguard.dev/transport": "X25519" },
      }),
      ["metadata.annotations[latticeguard.dev/transport]"],
    ],
    [
      "the mcp-port annotation alone",
      podBody({
        containers: [container("web", ["http"])],
        annotations: { "latticeguard.dev/mcp-port": "8080" },
      }),
      ["metadata.labels", "metadata.annotations[latticeguard.dev/transport]"],
    ],
    [
      "a restartable init container with an mcp port",
      podBody({
        containers: [container("web", ["http"])],
        initContainers: [container("sidecar", ["mcp"], { restartPolicy: "Always" })],
      }),
      ["metadata.labels", "metadata.annotations[latticeguard.dev/transport]"],
    ],
    [
      "a run-to-completion init container with an mcp port is not an endpoint",
      podBody({
        containers: [container("web", ["http"])],
        initContainers: [container("setup", ["mcp"])],
      }),
      [],
    ],
    [
      "one of several containers with an mcp port",
      podBody({
        containers: [container("a", ["http"]), container("b", ["grpc"]), container("c", ["mcp-x"])],
      }),
      ["metadata.labels", "metadata.annotations[latticeguard.dev/transport]"],
    ],
  ])("%s", (_name, body, expected) => {
    const v = runPodValidator("Pod", body);
    expect(fields(v)).toEqual(expected);
    expect(v.warnings).toEqual([]);
  });

  it("says what to change: the allowed groups, the policy, the missing MCPServer and its labels", () => {
    const v = runPodValidator("Pod", podBody({ labels: { app: "web", team: "a" } }));
    const [labels, transport] = v.errors.map((e) => e.message);
    expect(labels).toContain('no MCPServer in namespace "shop" selects it');
    expect(labels).toContain("(app=web, team=a)");
    expect(labels).toContain('port "mcp" of container "server"');
    expect(transport).toContain(
      'set latticeguard.dev/transport: X25519MLKEM768 (allowed by CryptoPolicy "enforce": X25519MLKEM768, SecP256r1MLKEM768,',
    );
  });

  it("names a disallowed group and lists the allowed ones", () => {
    const v = runPodValidator(
      "Pod",
      podBody({
        labels: { app: "weather" },
        annotations: { "latticeguard.dev/transport": "X25519" },
      }),
    );
    expect(v.errors[0]!.message).toBe(
      '"X25519" is not allowed by CryptoPolicy "enforce": use a post-quantum key-exchange group, one of X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, MLKEM1024',
    );
  });

  it("asks for labels when the pod has none", () => {
    const v = runPodValidator("Pod", podBody({ annotations: PQ }));
    expect(v.errors[0]!.message).toContain("give the pod labels");
  });
});

describe("updates", () => {
  const bad = podBody({ labels: { app: "weather" } });
  it("warns, not denies, when the update leaves labels, annotations and ports as they were", () => {
    const changed = { ...bad, spec: { ...bad.spec, activeDeadlineSeconds: 5 } };
    const v = runPodValidator("Pod", changed, { operation: "UPDATE", old: bad });
    expect(v.errors).toEqual([]);
    expect(v.warnings[0]).toContain('Pod "web" (unchanged, not denied)');
  });

  it("denies an update that introduces the violation", () => {
    const good = podBody({ labels: { app: "weather" }, annotations: PQ });
    expect(fields(runPodValidator("Pod", bad, { operation: "UPDATE", old: good }))).toEqual([
      "metadata.annotations[latticeguard.dev/transport]",
    ]);
  });

  it("denies any template change of a non-compliant workload: it would roll out pods that fail", () => {
    const changed = podBody({
      labels: { app: "weather" },
      containers: [container("server", ["mcp"], { image: "v2" })],
    });
    expect(
      runPodValidator("Deployment", changed, { operation: "UPDATE", old: bad }).errors,
    ).toHaveLength(1);
    expect(runPodValidator("Deployment", bad, { operation: "UPDATE", old: bad }).errors).toEqual(
      [],
    );
  });

  it("admits an object being deleted", () => {
    const object = {
      ...workload("Pod", "web", NS, bad),
      metadata: {
        name: "web",
        namespace: NS,
        deletionTimestamp: "2030-01-01T00:00:00Z",
        labels: { app: "weather" },
      },
    };
    const v = podTemplateValidator("v1/Pod")(object, object, "UPDATE", {
      namespace: NS,
      name: "web",
      kind: "Pod",
      now: Date.parse("2030-01-01T00:00:00Z"),
      cluster: staticView({
        namespaces: [namespace(NS, { tier: "mcp" })],
        policies: [ENFORCE],
        servers: [WEATHER],
      }),
    });
    expect(v).toEqual({ errors: [], warnings: [] });
  });
});

describe("workload templates", () => {
  it.each([
    ["Deployment", "spec.template"],
    ["StatefulSet", "spec.template"],
    ["DaemonSet", "spec.template"],
    ["ReplicaSet", "spec.template"],
    ["Job", "spec.template"],
    ["CronJob", "spec.jobTemplate.spec.template"],
  ])("%s: judges the template at %s like a pod", (kind, path) => {
    const v = runPodValidator(kind, podBody({ labels: { app: "other" } }));
    expect(fields(v)).toEqual([
      `${path}.metadata.labels`,
      `${path}.metadata.annotations[latticeguard.dev/transport]`,
    ]);
    expect(
      runPodValidator(kind, podBody({ labels: { app: "weather" }, annotations: PQ })).errors,
    ).toEqual([]);
  });

  it("names the workload and its template in admitted-violation warnings", () => {
    const v = runPodValidator("CronJob", podBody({ labels: { app: "weather" } }), {
      policies: [WARN],
    });
    expect(v.warnings[0]).toMatch(
      /^CronJob "web" \(pod template\): spec\.jobTemplate\.spec\.template\.metadata/,
    );
  });
});

describe("failures", () => {
  it("throws (and so denies) when the namespace is unknown", () => {
    const validate = podTemplateValidator("v1/Pod");
    const view = staticView({ namespaces: [], policies: [], servers: [] });
    expect(() =>
      validate(workload("Pod", "p", "ghost", podBody()), undefined, "CREATE", {
        namespace: "ghost",
        name: "p",
        kind: "Pod",
        cluster: view,
        now: Date.parse("2030-01-01T00:00:00Z"),
      }),
    ).toThrow('namespace "ghost" is not known yet');
  });

  it("throws on a workload without a template", () => {
    const view = staticView({ namespaces: [namespace(NS)], policies: [], servers: [] });
    expect(() =>
      podTemplateValidator("apps/v1/Deployment")({ metadata: {}, spec: {} }, undefined, "CREATE", {
        namespace: NS,
        name: "d",
        kind: "Deployment",
        cluster: view,
        now: Date.parse("2030-01-01T00:00:00Z"),
      }),
    ).toThrow("`spec.template` must be set");
  });
});

describe("one namespace object, reviewed again and again", () => {
  // The validator reuses the policy resolution of a namespace while the namespace object and the policy
  // objects are the same ones (informer caches replace an object that changes). Each step here keeps the
  // namespace object and changes the policies, or the reverse: each must be decided afresh.
  const shop = namespace(NS, { tier: "mcp" });
  const elsewhere = namespace(NS, { tier: "other" });
  const uncovered = workload("Pod", "web", NS, podBody({ labels: { app: "other" } }));
  const validate = podTemplateValidator("v1/Pod");

  it("decides each step by the policies and labels of that step", () => {
    const steps: [
      string,
      ReturnType<typeof namespace>,
      CryptoPolicy[],
      "denied" | "warned" | "admitted",
    ][] = [
      ["Enforce", shop, [ENFORCE], "denied"],
      ["the same policy object again", shop, [ENFORCE], "denied"],
      ["Warn instead", shop, [WARN], "warned"],
      [
        "a new object for policy `enforce`, now Audit",
        shop,
        [policy("enforce", { ...SELECT, enforcement: "Audit" })],
        "admitted",
      ],
      ["Enforce again", shop, [ENFORCE], "denied"],
      ["Enforce among others", shop, [AUDIT, ENFORCE], "denied"],
      ["no policy at all", shop, [], "admitted"],
      ["labels the policies do not select", elsewhere, [ENFORCE], "admitted"],
      ["back to the selected labels", shop, [ENFORCE], "denied"],
    ];
    for (const [step, ns, policies, expected] of steps) {
      const cluster = staticView({ namespaces: [ns], policies, servers: [WEATHER] });
      const v = validate(uncovered, undefined, "CREATE", {
        namespace: NS,
        name: "web",
        kind: "Pod",
        cluster,
        now: Date.parse("2030-01-01T00:00:00Z"),
      });
      const outcome = v.errors.length ? "denied" : v.warnings.length ? "warned" : "admitted";
      expect({ step, outcome }).toEqual({ step, outcome: expected });
    }
  });
});

describe("with LatticeGuard's proxy", () => {
  const SIDECAR = mcpServer(NS, "weather", { app: "weather" }, { proxy: { mode: "Sidecar" } });
  const AUTO = WEATHER;
  const labels = { app: "weather" };
  const OPT_OUT = policy("opt-out", {
    ...SELECT,
    enforcement: "Enforce",
    transport: { keyExchange: ["X25519MLKEM768", "MLKEM1024"], allowOptOut: true },
  });
  /** The pod as the mutating webhook leaves it. */
  const injected = (body = podBody({ labels }), servers = [SIDECAR], policies = [ENFORCE]) => {
    const { patch } = mutatePod({
      pod: body,
      namespace: NS,
      servers,
      policy: mergePolicies(policies).policy,
      settings: INJECTION,
    });
    expect(patch).not.toEqual([]);
    return applyPatch(body, patch);
  };
  const withProxy = (extra: Partial<V1Container>) => {
    const pod = injected();
    return {
      ...pod,
      spec: { ...pod.spec, initContainers: [{ ...pod.spec.initContainers![0]!, ...extra }] },
    };
  };
  const run = (
    kind: string,
    body: ReturnType<typeof podBody>,
    setup: Parameters<typeof runPodValidator>[2] = {},
  ) => runPodValidator(kind, body, { servers: [SIDECAR], injection: INJECTION, ...setup });

  it.each<
    [
      string,
      string,
      ReturnType<typeof podBody>,
      Parameters<typeof runPodValidator>[2],
      string[],
      string | undefined,
    ]
  >([
    ["an injected pod", "Pod", injected(), {}, [], "sidecar"],
    [
      "an injected pod under a policy of fewer groups",
      "Pod",
      injected(),
      { policies: [OPT_OUT] },
      ["spec.initContainers[0].args"],
      undefined,
    ],
    [
      "a proxy of another image",
      "Pod",
      withProxy({ image: "example.com/proxy:1" }),
      {},
      ["spec.initContainers[0].image"],
      undefined,
    ],
    [
      "a proxy of another image, with a claim",
      "Pod",
      { ...withProxy({ image: "x" }), metadata: { labels, annotations: PQ } },
      {},
      [],
      "claim",
    ],
    [
      "a proxy that is not a native sidecar",
      "Pod",
      withProxy({ restartPolicy: undefined }),
      {},
      ["spec.initContainers[0].restartPolicy"],
      undefined,
    ],
    [
      "a pod the mutating webhook did not see",
      "Pod",
      podBody({ labels }),
      {},
      ["metadata.annotations[latticeguard.dev/transport]"],
      undefined,
    ],
    [
      "a Deployment whose pods will get the proxy (Sidecar)",
      "Deployment",
      podBody({ labels }),
      {},
      [],
      "sidecar",
    ],
    [
      "a Deployment whose pods will get the proxy (Auto under Enforce)",
      "Deployment",
      podBody({ labels }),
      { servers: [AUTO] },
      [],
      "sidecar",
    ],
    [
      "a Deployment whose pods will not (Auto under Warn)",
      "Deployment",
      podBody({ labels }),
      { servers: [AUTO], policies: [WARN] },
      [],
      undefined,
    ],
    ["a Deployment that already carries the proxy", "Deployment", injected(), {}, [], "sidecar"],
    [
      "a Deployment opting out where allowed, without a claim",
      "Deployment",
      podBody({ labels, annotations: { "latticeguard.dev/inject": "false" } }),
      { policies: [OPT_OUT] },
      ["spec.template.metadata.annotations[latticeguard.dev/transport]"],
      undefined,
    ],
    [
      "a Deployment opting out where allowed, with a claim",
      "Deployment",
      podBody({ labels, annotations: { "latticeguard.dev/inject": "false", ...PQ } }),
      { policies: [OPT_OUT] },
      [],
      "claim",
    ],
    [
      "a Deployment whose port the MCPServer does not find",
      "Deployment",
      podBody({ labels, containers: [container("s", ["http"])] }),
      {},
      ["spec.template.metadata.annotations[latticeguard.dev/transport]"],
      undefined,
    ],
    [
      "without injection settings, no sidecar counts",
      "Pod",
      injected(),
      { injection: undefined },
      ["spec.initContainers[0].image"],
      undefined,
    ],
  ])("%s", (_, kind, body, setup, expected, transport) => {
    const v = run(kind, body, setup);
    expect(fields(v)).toEqual(expected);
    expect(v.transport).toBe(transport);
  });

  it("asks whether the mutating webhook is registered when a pod lacks the proxy it should have", () => {
    const [error] = run("Pod", podBody({ labels })).errors;
    expect(error!.message).toContain(
      'MCPServer "weather" asks for LatticeGuard\'s proxy but the pod has none: is the mutating webhook inject.latticeguard.dev registered?',
    );
  });

  it("says how to get the proxy where no MCPServer asks for it", () => {
    const warned = run("Pod", podBody({ labels }), { servers: [AUTO], policies: [WARN] });
    expect(warned.warnings).toEqual([
      expect.stringContaining(
        'or have LatticeGuard\'s proxy injected: set `spec.proxy.mode: Sidecar` on MCPServer "weather"',
      ),
    ]);
  });

  it("says why the proxy will not be injected, and warns the template's owner of what injection does", () => {
    const noPort = run("Deployment", podBody({ labels, containers: [container("s", ["http"])] }));
    expect(noPort.errors[0]!.message).toContain(
      '(LatticeGuard\'s proxy for MCPServer "weather" is not injected: its `spec.port` "mcp" names no container port of the pod;',
    );
    const refused = run(
      "Deployment",
      podBody({ labels, annotations: { "latticeguard.dev/inject": "false" } }),
    );
    expect(refused.errors).toEqual([]);
    expect(refused.warnings).toEqual([
      'Deployment "web" (pod template): latticeguard.dev/inject: "false" is ignored: CryptoPolicy "enforce" does not allow opting out (`spec.transport.allowOptOut`), so LatticeGuard\'s proxy is injected',
    ]);
  });

  it("denies an update that swaps the proxy's image, and only warns about one that changes nothing checked", () => {
    const good = injected();
    const swapped = withProxy({ image: "example.com/proxy:2" });
    expect(fields(run("Pod", swapped, { operation: "UPDATE", old: good }))).toEqual([
      "spec.initContainers[0].image",
    ]);
    const touched = { ...swapped, spec: { ...swapped.spec, activeDeadlineSeconds: 5 } };
    const v = run("Pod", touched, { operation: "UPDATE", old: swapped });
    expect(v.errors).toEqual([]);
    expect(v.warnings[0]).toContain("(unchanged, not denied)");
  });
});

describe("an enforcement schedule", () => {
  const staged = policy("staged", {
    ...SELECT,
    enforcementSchedule: {
      steps: [
        { mode: "Warn", from: "2030-01-01T00:00:10Z" },
        { mode: "Enforce", from: "2030-01-01T00:00:20Z" },
      ],
      noticeBefore: "5s",
    },
  });

  it.each<[string, string, string]>([
    ["before its first step", "2030-01-01T00:00:09.999Z", "Audit"],
    ["from its Warn step", "2030-01-01T00:00:10Z", "Warn"],
    ["from its Enforce step", "2030-01-01T00:00:20Z", "Enforce"],
  ])("applies %s the mode in force at the time of the review", (_, at, mode) => {
    const v = runPodValidator("Pod", podBody(), { policies: [staged], now: Date.parse(at) });
    expect(v.mode).toBe(mode);
    expect(v.errors.length > 0).toBe(mode === "Enforce");
    expect(v.warnings.length > 0).toBe(mode === "Warn");
  });
});

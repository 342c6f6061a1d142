import { describe, expect, it } from "vitest";
import { CBOM_FLAGS, cbomHelp, parseCbomFlags } from "./flags.ts";

describe("parseCbomFlags", () => {
  it("takes the documented defaults", () => {
    expect(parseCbomFlags([], {})).toEqual({
      kubeconfig: undefined,
      output: undefined,
      namespace: "latticeguard-system",
      watchNamespaces: undefined,
      bundleConfigMap: "latticeguard-trust-bundle",
      webhookSecret: "latticeguard-webhook-tls",
      kubeApiTimeoutMs: 30_000,
    });
  });

  it.each([
    [["--kubeconfig=/k"], {}, { kubeconfig: "/k" }],
    [["--output=cbom.json"], {}, { output: "cbom.json" }],
    [["--output=-"], {}, { output: undefined }],
    [[], { POD_NAMESPACE: "lg" }, { namespace: "lg" }],
    [["--namespace=ops"], { POD_NAMESPACE: "lg" }, { namespace: "ops" }],
    [["--watch-namespaces=mcp-a, mcp-b,mcp-a"], {}, { watchNamespaces: ["mcp-a", "mcp-b"] }],
    [["--trust-bundle-configmap=bundle"], {}, { bundleConfigMap: "bundle" }],
    [
      ["--webhook-secret=latticeguard-webhook-cert"],
      {},
      { webhookSecret: "latticeguard-webhook-cert" },
    ],
    [["--webhook-secret="], {}, { webhookSecret: undefined }],
    [["--kube-api-timeout=5s"], {}, { kubeApiTimeoutMs: 5000 }],
  ])("reads %j (env %j)", (argv, env, expected) => {
    expect(parseCbomFlags(argv, env)).toMatchObject(expected);
  });

  it.each([
    [["--namespace=Bad_NS"], '--namespace: "Bad_NS" is not a namespace name'],
    [
      ["--watch-namespaces=ok,NOT"],
      '--watch-namespaces: must be namespace names separated by commas; not one: "NOT"',
    ],
    [
      ["--trust-bundle-configmap=-x"],
      '--trust-bundle-configmap: must be a Kubernetes object name, got "-x"',
    ],
    [["--webhook-secret=A"], '--webhook-secret: must be a Kubernetes object name, got "A"'],
    [["--kube-api-timeout=10ms"], '--kube-api-timeout: must be at least 1s, got "10ms"'],
    [["--kube-api-timeout=soon"], '--kube-api-timeout: value: "soon" is not a duration'],
    [["--verbose=1"], "latticeguard cbom: Unknown option '--verbose'"],
    [["cbom.json"], "latticeguard cbom: Unexpected argument 'cbom.json'"],
  ])("refuses %j naming the flag", (argv, message) => {
    expect(() => parseCbomFlags(argv, {})).toThrow(message);
  });

  it("reports every bad flag at once", () => {
    expect(() => parseCbomFlags(["--namespace=X", "--kube-api-timeout=0s"], {})).toThrow(
      /--namespace: .*\n {2}--kube-api-timeout: /,
    );
  });
});

describe("cbomHelp", () => {
  it("lists every flag with its default", () => {
    const help = cbomHelp();
    for (const [name, { default: d }] of Object.entries(CBOM_FLAGS)) {
      expect(help).toContain(`--${name}`);
      if (d) expect(help).toContain(`(default ${d})`);
    }
  });
});

/**
 * The admission webhook against the real API server, through the real kubectl: the API server calls the
 * webhook on 127.0.0.1 over TLS 1.3 with X25519MLKEM768 only (the test server offers no other group, so
 * every admission below proves the API server negotiated it), trusting the CA that the self-managed TLS
 * generated and patched into the configuration. Three namespaces, one per enforcement mode, each
 * governed by a CryptoPolicy of this run. The MCPServers here terminate post-quantum TLS themselves
 * (`spec.proxy.mode: Disabled`) or are not under `Enforce`, so what is checked is the claim of the
 * `latticeguard.dev/transport` annotation; webhook-injection.test.ts checks LatticeGuard's proxy.
 */
import { randomBytes } from "node:crypto";
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type CoreV1Event,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { kubectl, tryKubectl } from "../../hack/kubectl.ts";
import { GROUP, VERSION } from "../../operator/api/crd.ts";
import { kubeConfig, kubeconfigPath, testNamespace } from "./harness.ts";
import {
  RUN_LABEL,
  apply,
  deployment,
  mcpServer,
  pod,
  startTestWebhook,
  type TestWebhook,
} from "./webhook-harness.ts";

const run = randomBytes(3).toString("hex");
const poll = { timeout: 30_000, interval: 250 };
const PQ = { "latticeguard.dev/transport": "X25519MLKEM768" };
/** A server that terminates post-quantum TLS itself: no proxy is injected, its pods claim a group. */
const SELF_TERMINATING = { proxy: { mode: "Disabled" } };
const ns: Record<"Enforce" | "Warn" | "Audit", string> = { Enforce: "", Warn: "", Audit: "" };
let hook: TestWebhook;
const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

const cryptoPolicy = (name: string, spec: object) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: "CryptoPolicy",
  metadata: { name, labels: { [RUN_LABEL]: run } },
  spec,
});
const policyNames = ["Enforce", "Warn", "Audit"].map((m) => `webhook-${m.toLowerCase()}-${run}`);

beforeAll(async () => {
  for (const mode of ["Enforce", "Warn", "Audit"] as const) {
    ({ namespace: ns[mode] } = await testNamespace(`wh-${mode.toLowerCase()}`, {
      [RUN_LABEL]: run,
      "webhook-mode": mode,
    }));
    await custom.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: "cryptopolicies",
      body: cryptoPolicy(`webhook-${mode.toLowerCase()}-${run}`, {
        enforcement: mode,
        namespaceSelector: { matchLabels: { [RUN_LABEL]: run, "webhook-mode": mode } },
        transport: { keyExchange: ["X25519MLKEM768", "MLKEM1024"] },
        kem: { algorithms: ["ML-KEM-1024", "ML-KEM-768"] },
      }),
    });
  }
  hook = await startTestWebhook({ run, tlsGroups: "X25519MLKEM768" });
  for (const namespace of Object.values(ns))
    await vi.waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace }), poll);
  // The API server loads new webhook configurations asynchronously: wait until ours answers.
  await vi.waitFor(async () => {
    const r = await tryKubectl(
      kubeconfigPath(),
      ["apply", "--dry-run=server", "-f", "-"],
      stringify(pod(ns.Enforce, "probe", { app: "probe" })),
    );
    expect(r.stderr).toContain("no MCPServer");
  }, poll);
});

afterAll(async () => {
  for (const name of policyNames)
    await custom
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: "cryptopolicies", name })
      .catch(() => undefined);
});

describe("self-managed webhook TLS", () => {
  it("stored the certificates in a Secret and patched the CA into the configuration", async () => {
    const secret = await core.readNamespacedSecret({
      name: hook.secretName,
      namespace: "latticeguard-system",
    });
    expect(Object.keys(secret.data ?? {}).sort()).toEqual([
      "ca-bundle.crt",
      "ca.crt",
      "ca.key",
      "tls.crt",
      "tls.key",
    ]);
    const vwc = await kc
      .makeApiClient(AdmissionregistrationV1Api)
      .readValidatingWebhookConfiguration({ name: hook.configurationName });
    for (const w of vwc.webhooks ?? [])
      expect(w.clientConfig.caBundle).toBe(secret.data?.["ca-bundle.crt"]);
  });
});

describe("Enforce", () => {
  it("refuses a non-compliant Pod with a message that says what to change", async () => {
    const r = await apply(pod(ns.Enforce, "bare", { app: "bare" }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The Pod "bare" is invalid');
    expect(r.stderr).toContain(
      `metadata.labels: exposes an MCP endpoint (port "mcp" of container "server") but no MCPServer in namespace "${ns.Enforce}" selects it: create an MCPServer whose \`spec.selector\` matches these labels (app=bare)`,
    );
    expect(r.stderr).toContain(
      `metadata.annotations[latticeguard.dev/transport]: must name the TLS 1.3 key-exchange group of the MCP endpoint (port "mcp" of container "server"): set latticeguard.dev/transport: X25519MLKEM768 (allowed by CryptoPolicy "${policyNames[0]}": X25519MLKEM768, MLKEM1024)`,
    );
    const get = await tryKubectl(kubeconfigPath(), ["get", "pod", "bare", "-n", ns.Enforce]);
    expect(get.stderr).toContain("NotFound");
  });

  it("refuses a non-compliant Deployment at apply time, naming the template's fields", async () => {
    await kubectl(
      kubeconfigPath(),
      ["apply", "-f", "-"],
      stringify(mcpServer(ns.Enforce, "weather", { app: "weather" }, undefined, SELF_TERMINATING)),
    );
    const r = await apply(
      deployment(
        ns.Enforce,
        "weather",
        { app: "weather" },
        { "latticeguard.dev/transport": "X25519" },
      ),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The Deployment "weather" is invalid');
    expect(r.stderr).toContain(
      `spec.template.metadata.annotations[latticeguard.dev/transport]: "X25519" is not allowed by CryptoPolicy "${policyNames[0]}": use a post-quantum key-exchange group, one of X25519MLKEM768, MLKEM1024`,
    );
  });

  it("admits compliant objects, even an MCPServer and its workloads applied together", async () => {
    const labels = { app: "calendar" };
    const r = await apply(
      mcpServer(ns.Enforce, "calendar", labels, undefined, SELF_TERMINATING),
      pod(ns.Enforce, "calendar-0", labels, PQ),
      deployment(ns.Enforce, "calendar", labels, PQ),
      {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "calendar-sync", namespace: ns.Enforce },
        spec: {
          schedule: "@hourly",
          jobTemplate: {
            spec: {
              template: {
                metadata: { labels, annotations: PQ },
                spec: { restartPolicy: "Never", containers: pod("", "", {}).spec.containers },
              },
            },
          },
        },
      },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    await kubectl(kubeconfigPath(), [
      "get",
      "pod/calendar-0",
      "deployment/calendar",
      "cronjob/calendar-sync",
      "-n",
      ns.Enforce,
    ]);
  });

  it("refuses an update that removes the transport annotation", async () => {
    const r = await tryKubectl(kubeconfigPath(), [
      "annotate",
      "pod",
      "calendar-0",
      "-n",
      ns.Enforce,
      "latticeguard.dev/transport-",
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("metadata.annotations[latticeguard.dev/transport]: must name");
  });

  it("lets a debug (ephemeral) container join a compliant pod: the subresource is not intercepted", async () => {
    const r = await tryKubectl(kubeconfigPath(), [
      "debug",
      "calendar-0",
      "-n",
      ns.Enforce,
      "--image=busybox",
      "--container=debugger",
      "--profile=general",
    ]);
    expect(r.stderr).not.toContain("denied");
    expect(r.code).toBe(0);
    const json = await kubectl(kubeconfigPath(), [
      "get",
      "pod",
      "calendar-0",
      "-n",
      ns.Enforce,
      "-o",
      "jsonpath={.spec.ephemeralContainers[*].name}",
    ]);
    expect(json).toBe("debugger");
  });

  it("refuses an MCPServer narrowing to a KEM the policy forbids", async () => {
    const r = await apply(mcpServer(ns.Enforce, "legacy", { app: "legacy" }, "X-Wing"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `spec.kem.algorithm: X-Wing is not allowed by CryptoPolicy "${policyNames[0]}"; must be one of ML-KEM-1024, ML-KEM-768`,
    );
  });
});

describe("Warn", () => {
  it("admits a non-compliant Pod and shows the warning in kubectl's output", async () => {
    const r = await apply(pod(ns.Warn, "bare", { app: "bare" }));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: Pod "bare": metadata.labels: exposes an MCP endpoint');
    expect(r.stderr).toContain(
      'Warning: Pod "bare": metadata.annotations[latticeguard.dev/transport]: must name',
    );
  });

  it("records the violation as an Event on the namespace", async () => {
    await vi.waitFor(async () => {
      const events = await core.listNamespacedEvent({
        namespace: ns.Warn,
        fieldSelector: "reason=PolicyViolation",
      });
      expect(
        events.items.map((e) => [e.involvedObject.kind, e.involvedObject.name, e.type]),
      ).toContainEqual(["Namespace", ns.Warn, "Warning"]);
    }, poll);
  });
});

describe("Audit", () => {
  it("admits without a warning and records an Event on the MCPServer that covers the pod", async () => {
    await kubectl(
      kubeconfigPath(),
      ["apply", "-f", "-"],
      stringify(mcpServer(ns.Audit, "weather", { app: "weather" })),
    );
    const r = await apply(deployment(ns.Audit, "weather", { app: "weather" }));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    let event: CoreV1Event | undefined;
    await vi.waitFor(async () => {
      const events = await core.listNamespacedEvent({
        namespace: ns.Audit,
        fieldSelector: "reason=PolicyViolation",
      });
      // The Deployment's pods (and its ReplicaSet) are admitted in Audit mode too: find the Deployment's.
      event = events.items.find(
        (e) => e.involvedObject.kind === "MCPServer" && e.message?.includes('Deployment "weather"'),
      );
      expect(event).toBeDefined();
    }, poll);
    expect(event?.involvedObject.name).toBe("weather");
    expect(event?.message).toContain(
      `Deployment "weather" (pod template) admitted in Audit mode although it breaks CryptoPolicy "${policyNames[2]}"`,
    );
    expect(await hook.metrics.admissionReviews.get()).toMatchObject({
      values: expect.arrayContaining([
        expect.objectContaining({
          labels: {
            webhook: "validate",
            resource: "deployments",
            decision: "admitted_violation",
            mode: "Audit",
            transport: "none",
          },
        }),
      ]) as unknown,
    });
  });
});

describe("CryptoPolicy validation", () => {
  it("admits a policy that leaves a namespace with nothing allowed, warning with the namespace", async () => {
    const name = `webhook-conflict-${run}`;
    policyNames.push(name);
    const r = await apply(
      cryptoPolicy(name, {
        namespaceSelector: { matchLabels: { [RUN_LABEL]: run, "webhook-mode": "Warn" } },
        kem: { algorithms: ["X-Wing"] },
      }),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `Warning: CryptoPolicy "${name}" together with "${policyNames[1]}" leaves 1 namespace(s) with nothing allowed for spec.kem.algorithms: ${ns.Warn}`,
    );
  });
});

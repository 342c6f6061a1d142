/**
 * Staged enforcement against the real API server: a CryptoPolicy whose schedule moves from `Audit` to
 * `Warn` to `Enforce` a few seconds apart while the test runs. The API server's admission call for the
 * same pod (an MCP port, no MCPServer, no post-quantum transport) goes from admitted, to admitted with a
 * warning, to denied, by the webhook's own clock and without restarting anything; meanwhile a real
 * operator reports the current and next step and the deny preview in status, and records each notice
 * and each change as one Event. The API server and the webhook also refuse schedules that are out of
 * order or start in the past, naming the field.
 */
import { CoreV1Api, CustomObjectsApi, type CoreV1Event } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { tryKubectl } from "../../hack/kubectl.ts";
import { GROUP, VERSION } from "../../operator/api/crd.ts";
import type { CryptoPolicy } from "../../operator/api/types.generated.ts";
import { kubeConfig, kubeconfigPath, testNamespace } from "./harness.ts";
import { startOperatorProcess } from "./operator-process.ts";
import { RUN_LABEL, pod, startTestWebhook } from "./webhook-harness.ts";

const run = randomBytes(3).toString("hex");
const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const API = { group: GROUP, version: VERSION, plural: "cryptopolicies" };
const name = `staged-${run}`;
const poll = { timeout: 30_000, interval: 200 };
const LEAD_MS = 9_000;
const STEP_MS = 8_000;
let namespace: string;
let warnAt: number;
let enforceAt: number;

const policyBody = (policyName: string, spec: Record<string, unknown>) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: "CryptoPolicy",
  metadata: { name: policyName, labels: { [RUN_LABEL]: run } },
  spec: { namespaceSelector: { matchLabels: { [RUN_LABEL]: run } }, ...spec },
});
const iso = (ms: number) => new Date(ms).toISOString();
const readPolicy = async () =>
  (await custom.getClusterCustomObject({ ...API, name })) as CryptoPolicy;

/** The API server's admission of the probe pod, as `kubectl apply --dry-run=server` reports it. */
async function admission(): Promise<{ sent: number; answered: number; outcome: string }> {
  const sent = Date.now();
  const r = await tryKubectl(
    kubeconfigPath(),
    ["apply", "--dry-run=server", "-f", "-"],
    stringify(pod(namespace, "probe", { app: "probe" })),
  );
  const outcome = r.code !== 0 ? "denied" : r.stderr.includes("Warning:") ? "warned" : "admitted";
  return { sent, answered: Date.now(), outcome };
}

beforeAll(async () => {
  ({ namespace } = await testNamespace("staged", { [RUN_LABEL]: run }));
  await vi.waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace }), poll);
  // Two pods that break the policy, stored before it exists (no node runs them): the deny preview.
  for (const p of ["stray-1", "stray-2"])
    await core.createNamespacedPod({ namespace, body: pod(namespace, p, { app: p }) });
  const [operator] = await Promise.all([
    startOperatorProcess(),
    startTestWebhook({ run, tlsGroups: "X25519MLKEM768" }),
  ]);
  afterAll(() => operator.stop());
  // The API server loads new webhook configurations asynchronously: wait until ours answers.
  await vi.waitFor(async () => {
    const body = policyBody(`probe-${run}`, {
      enforcementSchedule: { steps: [{ mode: "Warn", from: "2000-01-01T00:00:00Z" }] },
    });
    await expect(custom.createClusterCustomObject({ ...API, body, dryRun: "All" })).rejects.toThrow(
      "spec.enforcementSchedule.steps[0].from",
    );
  }, poll);
});

afterAll(async () => {
  await custom.deleteClusterCustomObject({ ...API, name }).catch(() => undefined);
});

describe("a schedule that is not one", () => {
  it.each<[string, unknown[], string]>([
    [
      "a step in the past (the webhook)",
      [{ mode: "Warn", from: "2020-01-01T00:00:00Z" }],
      "spec.enforcementSchedule.steps[0].from: must be in the future",
    ],
    [
      "unordered steps (the CRD's rules)",
      [
        { mode: "Warn", from: "2099-02-01T00:00:00Z" },
        { mode: "Enforce", from: "2099-01-01T00:00:00Z" },
      ],
      "`steps[1].from` must be later than `steps[0].from`",
    ],
    [
      "a looser step (the CRD's rules)",
      [
        { mode: "Enforce", from: "2099-01-01T00:00:00Z" },
        { mode: "Warn", from: "2099-02-01T00:00:00Z" },
      ],
      "`steps[1].mode` must be stricter than `steps[0].mode`",
    ],
    [
      "an unknown mode (the CRD's enum)",
      [{ mode: "Block", from: "2099-01-01T00:00:00Z" }],
      "spec.enforcementSchedule.steps[0].mode: Unsupported value",
    ],
  ])("is refused: %s", async (_, steps, message) => {
    const body = policyBody(`bad-${run}`, { enforcementSchedule: { steps } });
    const error = await custom.createClusterCustomObject({ ...API, body, dryRun: "All" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String((error as { body?: unknown })?.body ?? error)).toContain(message);
  });
});

describe("a policy on a schedule", () => {
  it("moves the same pod from admitted to warned to denied as its steps take effect", async () => {
    warnAt = Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000;
    enforceAt = warnAt + STEP_MS;
    await custom.createClusterCustomObject({
      ...API,
      body: policyBody(name, {
        enforcement: "Audit",
        transport: { keyExchange: ["X25519MLKEM768"] },
        enforcementSchedule: {
          steps: [
            { mode: "Warn", from: iso(warnAt) },
            { mode: "Enforce", from: iso(enforceAt) },
          ],
          noticeBefore: "3s",
        },
      }),
    });
    const seen: Awaited<ReturnType<typeof admission>>[] = [];
    await vi.waitFor(
      async () => {
        seen.push(await admission());
        expect(seen.at(-1)!.outcome).toBe("denied");
      },
      { timeout: LEAD_MS + STEP_MS + 15_000, interval: 300 },
    );
    // The webhook and this test read the same clock: a review answered before a step is under the
    // mode before it, and one sent after a step under that step's mode.
    for (const s of seen) {
      if (s.answered < warnAt) expect(s.outcome).toBe("admitted");
      else if (s.sent >= warnAt && s.answered < enforceAt) expect(s.outcome).toBe("warned");
      else if (s.sent >= enforceAt) expect(s.outcome).toBe("denied");
    }
    expect(seen.map((s) => s.outcome)).toEqual(expect.arrayContaining(["admitted", "warned"]));
  });

  it("reports the step in force, the one after it and the deny preview", async () => {
    await vi.waitFor(async () => {
      const { status } = await readPolicy();
      expect(status?.enforcement).toEqual({
        current: { mode: "Enforce", from: iso(enforceAt) },
        noticeGivenFor: iso(enforceAt),
        denyPreview: { pods: 2 },
      });
    }, poll);
    // The Enforcement column shows the mode in force, not `spec.enforcement` (Audit here).
    const { stdout } = await tryKubectl(kubeconfigPath(), ["get", "cryptopolicy", name]);
    expect(stdout.split("\n")[0]).toMatch(/^NAME\s+ENFORCEMENT\s+READY\b/);
    expect(stdout.split("\n")[1]).toMatch(new RegExp(`^${name}\\s+Enforce\\s`));
  });

  it("records one notice and one change per step", async () => {
    const ours = (e: CoreV1Event) => e.involvedObject.name === name;
    await vi.waitFor(async () => {
      const events = (await core.listNamespacedEvent({ namespace: "default" })).items.filter(ours);
      const seen = events.map((e) => [e.reason, e.message?.match(/step (\w+)/)?.[1], e.count ?? 1]);
      expect(seen).toEqual(
        expect.arrayContaining([
          ["EnforcementStepApproaching", "Warn", 1],
          ["EnforcementStepChanged", "Warn", 1],
          ["EnforcementStepApproaching", "Enforce", 1],
          ["EnforcementStepChanged", "Enforce", 1],
        ]),
      );
      expect(seen).toHaveLength(4);
      const enforced = events.find(
        (e) => e.reason === "EnforcementStepChanged" && e.type === "Warning",
      );
      expect(enforced?.message).toContain("2 pod(s) in the namespaces it selects would be denied");
    }, poll);
  });
});

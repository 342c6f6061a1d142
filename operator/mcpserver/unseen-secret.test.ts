import { ApiException, type V1OwnerReference, type V1Secret } from "@kubernetes/client-node";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { MCPServer } from "../api/types.generated.ts";
import type { EventRecorder } from "../events.ts";
import type { Writer } from "../kube/apply.ts";
import {
  keyringLabels,
  reclaimUnseenSecret,
  unseenSecretAction,
  type ReclaimDeps,
  type UnseenSecretAction,
} from "./unseen-secret.ts";

const server = {
  apiVersion: "latticeguard.dev/v1alpha1",
  kind: "MCPServer",
  metadata: { name: "weather", namespace: "mcp", uid: "uid-1" },
  spec: { selector: {}, port: "mcp" },
} as unknown as MCPServer;
const owner = (extra: Partial<V1OwnerReference> = {}): V1OwnerReference => ({
  apiVersion: "latticeguard.dev/v1alpha1",
  kind: "MCPServer",
  name: "weather",
  uid: "uid-1",
  controller: true,
  ...extra,
});
const secret = (labels: Record<string, string> | undefined, owners?: V1OwnerReference[]) =>
  ({
    metadata: {
      name: "weather-kem",
      namespace: "mcp",
      resourceVersion: "7",
      labels,
      ownerReferences: owners,
    },
    data: { "keyring.json": "W10=" },
  }) satisfies V1Secret;
const MANAGED = "app.kubernetes.io/managed-by=latticeguard";
const SERVER_LABEL = "latticeguard.dev/mcpserver=weather";
const labels = keyringLabels("weather");

describe("unseenSecretAction", () => {
  it.each<[string, V1Secret | undefined, UnseenSecretAction]>([
    ["a Secret deleted meanwhile", undefined, { kind: "gone" }],
    [
      "its own Secret without the label the informer selects on",
      secret({ "latticeguard.dev/mcpserver": "weather", team: "a" }, [owner()]),
      { kind: "relabel", labels, missing: [MANAGED] },
    ],
    [
      "its own Secret with the label changed",
      secret({ ...labels, "app.kubernetes.io/managed-by": "helm" }, [owner()]),
      { kind: "relabel", labels, missing: [MANAGED] },
    ],
    [
      "its own Secret with no labels at all",
      secret(undefined, [owner()]),
      { kind: "relabel", labels, missing: [MANAGED, SERVER_LABEL] },
    ],
    ["its own Secret, labelled: the cache is behind", secret(labels, [owner()]), { kind: "wait" }],
    [
      "a Secret of an earlier server of the same name",
      secret({}, [owner({ uid: "uid-0" })]),
      { kind: "foreign" },
    ],
    [
      "a Secret the server owns but does not control",
      secret({}, [owner({ controller: false })]),
      {
        kind: "foreign",
      },
    ],
    [
      "a Secret controlled by another kind",
      secret({}, [owner({ kind: "Deployment" })]),
      {
        kind: "foreign",
      },
    ],
    ["a Secret someone made by hand", secret({}), { kind: "foreign" }],
  ])("%s", (_name, current, expected) => {
    expect(unseenSecretAction(current, server)).toEqual(expected);
  });
});

describe("reclaimUnseenSecret", () => {
  const delays = { soonMs: 200, laterMs: 5_000 };
  const log = pino({ level: "silent" });
  function fakes(current: V1Secret | undefined, labelError?: ApiException<unknown>) {
    const patched: Record<string, string>[] = [];
    const recorded: string[] = [];
    let repairs = 0;
    const writer = {
      readSecret: () => Promise.resolve(current),
      labelSecret: (s: V1Secret, l: Record<string, string>) => {
        if (labelError) return Promise.reject(labelError);
        patched.push(l);
        return Promise.resolve(s);
      },
    } as unknown as Writer;
    const events: EventRecorder = {
      record: (_o, _t, reason, message) => {
        recorded.push(`${reason}: ${message}`);
        return Promise.resolve();
      },
    };
    const deps: ReclaimDeps = {
      writer,
      events,
      metrics: { kemRepairs: { inc: () => void repairs++ } } as unknown as ReclaimDeps["metrics"],
    };
    return { deps, patched, recorded, repairs: () => repairs };
  }

  it("restores the labels of its own Secret and reports the repair", async () => {
    const f = fakes(secret({}, [owner()]));
    expect(await reclaimUnseenSecret(f.deps, server, "weather-kem", log, delays)).toBe(200);
    expect(f.patched).toEqual([labels]);
    expect(f.repairs()).toBe(1);
    expect(f.recorded).toEqual([
      `KEMKeyringRepaired: Secret weather-kem: restored label(s) ${MANAGED}, ${SERVER_LABEL} ` +
        "that another writer had removed or changed; its keys are checked next",
    ]);
  });

  it.each([
    ["a Secret it does not control", secret({}), 5_000],
    ["its own labelled Secret the cache has not seen yet", secret(labels, [owner()]), 5_000],
    ["a Secret gone meanwhile", undefined, 200],
  ])("never writes to %s", async (_name, current, wait) => {
    const f = fakes(current);
    expect(await reclaimUnseenSecret(f.deps, server, "weather-kem", log, delays)).toBe(wait);
    expect(f.patched).toEqual([]);
    expect(f.recorded).toEqual([]);
    expect(f.repairs()).toBe(0);
  });

  it("looks again soon when the Secret changed before the labels were written (409)", async () => {
    const f = fakes(secret({}, [owner()]), new ApiException(409, "Conflict", {}, {}));
    expect(await reclaimUnseenSecret(f.deps, server, "weather-kem", log, delays)).toBe(200);
    expect(f.recorded).toEqual([]);
  });

  it("fails on any other error, for the queue to retry with backoff", async () => {
    const f = fakes(secret({}, [owner()]), new ApiException(500, "Internal", {}, {}));
    await expect(reclaimUnseenSecret(f.deps, server, "weather-kem", log, delays)).rejects.toThrow();
  });
});

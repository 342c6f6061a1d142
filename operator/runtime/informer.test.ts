import type { KubernetesObject, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { metadataOnly, stripManagedFields } from "./informer.ts";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const managedFields = [
  {
    manager: "latticeguard",
    operation: "Apply",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:data": {} },
  },
];

describe("stripManagedFields", () => {
  it.each<[string, KubernetesObject, KubernetesObject]>([
    [
      "drops managedFields",
      { kind: "Secret", metadata: { name: "a", resourceVersion: "7", managedFields } },
      { kind: "Secret", metadata: { name: "a", resourceVersion: "7" } },
    ],
    [
      "drops kubectl's last-applied annotation and keeps the others",
      { metadata: { name: "a", annotations: { [LAST_APPLIED]: "{…}", keep: "me" } } },
      { metadata: { name: "a", annotations: { keep: "me" } } },
    ],
    [
      "leaves a lean object as it is",
      { metadata: { name: "a", labels: { app: "x" } } },
      { metadata: { name: "a", labels: { app: "x" } } },
    ],
    ["leaves an object without metadata", { kind: "Status" }, { kind: "Status" }],
  ])("%s", (_name, input, expected) => {
    expect(stripManagedFields(input)).toEqual(expected);
  });

  it("does not change the object it was given", () => {
    const input = { metadata: { name: "a", managedFields, annotations: { [LAST_APPLIED]: "x" } } };
    stripManagedFields(input);
    expect(input.metadata.managedFields).toBe(managedFields);
    expect(input.metadata.annotations[LAST_APPLIED]).toBe("x");
  });

  it("returns the very object when there is nothing to strip (no copy per event)", () => {
    const input = { metadata: { name: "a" } };
    expect(stripManagedFields(input)).toBe(input);
  });
});

describe("metadataOnly", () => {
  it("keeps apiVersion, kind and lean metadata, and nothing of spec or status", () => {
    const pod: V1Pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "web-0",
        namespace: "shop",
        resourceVersion: "42",
        labels: { app: "web" },
        annotations: { "latticeguard.dev/transport": "X25519MLKEM768" },
        managedFields,
      },
      spec: { containers: [{ name: "web", image: "nginx" }] },
      status: { phase: "Running" },
    };
    expect(metadataOnly(pod)).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "web-0",
        namespace: "shop",
        resourceVersion: "42",
        labels: { app: "web" },
        annotations: { "latticeguard.dev/transport": "X25519MLKEM768" },
      },
    });
  });
});

import { describe, expect, it } from "vitest";
import {
  mutatingWebhookConfiguration,
  validatingWebhookConfiguration,
  webhookNamespaceSelector,
} from "./configuration.ts";
import { POD_TEMPLATE_PATHS } from "./pod-templates.ts";
import { VALIDATORS } from "./validators.ts";

const base = { name: "latticeguard", operatorNamespace: "latticeguard-system" };

describe("validatingWebhookConfiguration", () => {
  const vwc = validatingWebhookConfiguration({
    ...base,
    service: { namespace: "latticeguard-system", name: "latticeguard-webhook", port: 443 },
    caBundle: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  });

  it("fails closed, has no side effects, a short timeout and speaks v1 only", () => {
    expect(vwc.webhooks?.map((w) => w.name)).toEqual([
      "pods.latticeguard.dev",
      "mcpservers.latticeguard.dev",
      "cryptopolicies.latticeguard.dev",
    ]);
    for (const w of vwc.webhooks ?? []) {
      expect(w).toMatchObject({
        failurePolicy: "Fail",
        sideEffects: "NoneOnDryRun",
        timeoutSeconds: 5,
        admissionReviewVersions: ["v1"],
      });
    }
  });

  it("excludes kube-system and the operator's own namespace", () => {
    for (const w of vwc.webhooks ?? []) {
      expect(w.namespaceSelector?.matchExpressions).toEqual([
        {
          key: "kubernetes.io/metadata.name",
          operator: "NotIn",
          values: ["kube-system", "latticeguard-system"],
        },
      ]);
    }
  });

  it("registers exactly the kinds the validators handle, on CREATE and UPDATE", () => {
    const kinds = (vwc.webhooks ?? []).flatMap((w) =>
      (w.rules ?? []).flatMap((r) => {
        expect(r.operations).toEqual(["CREATE", "UPDATE"]);
        return r.resources!.map((res) => `${r.apiGroups![0]}/${res}`);
      }),
    );
    expect(kinds.sort()).toEqual([
      "/pods",
      "apps/daemonsets",
      "apps/deployments",
      "apps/replicasets",
      "apps/statefulsets",
      "batch/cronjobs",
      "batch/jobs",
      "latticeguard.dev/cryptopolicies",
      "latticeguard.dev/mcpservers",
    ]);
    expect(Object.keys(VALIDATORS)).toHaveLength(Object.keys(POD_TEMPLATE_PATHS).length + 2);
  });

  it("calls the Service on the validate path with the CA bundle, base64", () => {
    expect(vwc.webhooks?.[0]?.clientConfig).toEqual({
      service: {
        namespace: "latticeguard-system",
        name: "latticeguard-webhook",
        port: 443,
        path: "/validate",
      },
      caBundle: Buffer.from(
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
      ).toString("base64"),
    });
  });

  it("takes a URL for local runs, and extra namespace requirements", () => {
    const local = validatingWebhookConfiguration({
      ...base,
      url: "https://127.0.0.1:9443/",
      namespaceSelector: [{ key: "test", operator: "In", values: ["x"] }],
    });
    expect(local.webhooks?.[0]?.clientConfig).toEqual({ url: "https://127.0.0.1:9443/validate" });
    expect(local.webhooks?.[0]?.namespaceSelector?.matchExpressions).toHaveLength(2);
  });

  it("admits only the watched namespaces of a namespace-scoped install", () => {
    const scoped = validatingWebhookConfiguration({
      ...base,
      url: "https://x",
      watchNamespaces: ["mcp-a", "mcp-b"],
    });
    for (const w of scoped.webhooks ?? [])
      expect(w.namespaceSelector).toEqual(
        webhookNamespaceSelector({ ...base, watchNamespaces: ["mcp-a", "mcp-b"] }),
      );
  });

  it("asks cert-manager to inject the CA instead", () => {
    const vwc2 = validatingWebhookConfiguration({
      ...base,
      url: "https://x",
      certManagerCertificate: "latticeguard-system/webhook",
    });
    expect(vwc2.metadata?.annotations).toEqual({
      "cert-manager.io/inject-ca-from": "latticeguard-system/webhook",
    });
    expect(vwc2.webhooks?.[0]?.clientConfig.caBundle).toBeUndefined();
  });

  it("needs exactly one of service and url", () => {
    expect(() => validatingWebhookConfiguration(base)).toThrow(
      "exactly one of `service` and `url`",
    );
  });
});

describe("webhookNamespaceSelector", () => {
  const never = {
    key: "kubernetes.io/metadata.name",
    operator: "NotIn",
    values: ["kube-system", "latticeguard-system"],
  };

  it.each([
    ["every namespace but kube-system and its own", {}, [never]],
    [
      "only the watched namespaces, still never kube-system or its own",
      { watchNamespaces: ["mcp-a", "latticeguard-system"] },
      [
        never,
        {
          key: "kubernetes.io/metadata.name",
          operator: "In",
          values: ["mcp-a", "latticeguard-system"],
        },
      ],
    ],
    [
      "further requirements last",
      {
        watchNamespaces: ["mcp-a"],
        namespaceSelector: [{ key: "team", operator: "Exists" }],
      },
      [
        never,
        { key: "kubernetes.io/metadata.name", operator: "In", values: ["mcp-a"] },
        { key: "team", operator: "Exists" },
      ],
    ],
  ])("selects %s", (_name, extra, expressions) => {
    expect(
      webhookNamespaceSelector({ operatorNamespace: "latticeguard-system", ...extra }),
    ).toEqual({ matchExpressions: expressions });
  });

  it("refuses an empty list of watched namespaces, which would admit nothing", () => {
    expect(() =>
      webhookNamespaceSelector({ operatorNamespace: "latticeguard-system", watchNamespaces: [] }),
    ).toThrow("`watchNamespaces` must name a namespace");
  });
});

describe("mutatingWebhookConfiguration", () => {
  const mwc = mutatingWebhookConfiguration({
    ...base,
    service: { namespace: "latticeguard-system", name: "latticeguard-webhook", port: 443 },
  });
  const [inject] = mwc.webhooks ?? [];

  it("injects on Pod CREATE only, failing closed, without side effects, within 5 s", () => {
    expect(mwc.kind).toBe("MutatingWebhookConfiguration");
    expect(mwc.webhooks).toHaveLength(1);
    expect(inject).toMatchObject({
      name: "inject.latticeguard.dev",
      failurePolicy: "Fail",
      sideEffects: "None",
      timeoutSeconds: 5,
      admissionReviewVersions: ["v1"],
      reinvocationPolicy: "IfNeeded",
      rules: [
        {
          apiGroups: [""],
          apiVersions: ["v1"],
          resources: ["pods"],
          scope: "Namespaced",
          operations: ["CREATE"],
        },
      ],
    });
  });

  it("calls /mutate, and excludes what the validating configuration excludes", () => {
    expect(inject?.clientConfig.service?.path).toBe("/mutate");
    const vwc = validatingWebhookConfiguration({
      ...base,
      service: { namespace: "latticeguard-system", name: "latticeguard-webhook", port: 443 },
    });
    expect(inject?.namespaceSelector).toEqual(vwc.webhooks?.[0]?.namespaceSelector);
    expect(inject?.clientConfig.service).toEqual({
      ...vwc.webhooks?.[0]?.clientConfig.service,
      path: "/mutate",
    });
  });

  it("takes a URL, a CA bundle and cert-manager's annotation like the validating one", () => {
    const local = mutatingWebhookConfiguration({
      ...base,
      url: "https://127.0.0.1:9443",
      caBundle: "PEM",
      certManagerCertificate: "latticeguard-system/webhook",
    });
    expect(local.webhooks?.[0]?.clientConfig).toEqual({
      url: "https://127.0.0.1:9443/mutate",
      caBundle: Buffer.from("PEM").toString("base64"),
    });
    expect(local.metadata?.annotations).toEqual({
      "cert-manager.io/inject-ca-from": "latticeguard-system/webhook",
    });
  });
});

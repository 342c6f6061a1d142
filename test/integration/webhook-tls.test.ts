/**
 * Self-managed webhook TLS against the real API server: replicas that start together share one Secret;
 * a broken Secret is replaced; and with lifetimes of seconds, the serving certificate renews and the CA
 * rotates with overlap while the API server keeps calling the webhook without a single failed call.
 */
import { X509Certificate, randomBytes } from "node:crypto";
import { AdmissionregistrationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { splitPem } from "../../operator/tls/certs.ts";
import { SelfManagedCertificates } from "../../webhook/tls/self-managed.ts";
import { kubeConfig, testNamespace } from "./harness.ts";
import { RUN_LABEL, startTestWebhook } from "./webhook-harness.ts";

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const log = pino({ level: "silent" });
const NS = "latticeguard-system";
const hosts = { dns: ["latticeguard-webhook.latticeguard-system.svc"], ips: ["127.0.0.1"] };
const secretNames: string[] = [];
const manager = (secretName: string) =>
  new SelfManagedCertificates({
    kc,
    namespace: NS,
    secretName,
    webhookConfiguration: undefined,
    hosts,
    log,
  });
const fresh = () => {
  const name = `webhook-tls-${randomBytes(3).toString("hex")}`;
  secretNames.push(name);
  return name;
};
const fingerprint = (pem: string | undefined) =>
  pem ? new X509Certificate(pem).fingerprint256 : undefined;

afterAll(async () => {
  for (const name of secretNames)
    await core.deleteNamespacedSecret({ name, namespace: NS }).catch(() => undefined);
});

describe("self-managed certificates", () => {
  it("are shared by replicas that start at the same moment", async () => {
    const name = fresh();
    const replicas = Array.from({ length: 3 }, () => manager(name));
    await Promise.all(replicas.map((r) => r.sync()));
    const served = replicas.map((r) => fingerprint(r.current()?.cert));
    expect(new Set(served).size).toBe(1);
    const secret = await core.readNamespacedSecret({ name, namespace: NS });
    expect(fingerprint(Buffer.from(secret.data!["tls.crt"]!, "base64").toString())).toBe(served[0]);
    expect(secret.metadata?.labels).toEqual({ "app.kubernetes.io/managed-by": "latticeguard" });
  });

  it("replace a Secret whose key was tampered with", async () => {
    const name = fresh();
    const m = manager(name);
    await m.sync();
    const before = fingerprint(m.current()?.cert);
    const secret = await core.readNamespacedSecret({ name, namespace: NS });
    secret.data!["tls.key"] = Buffer.from("not a key").toString("base64");
    await core.replaceNamespacedSecret({ name, namespace: NS, body: secret });
    await m.sync();
    expect(fingerprint(m.current()?.cert)).not.toBe(before);
    const repaired = await core.readNamespacedSecret({ name, namespace: NS });
    expect(Buffer.from(repaired.data!["tls.key"]!, "base64").toString()).toContain("PRIVATE KEY");
  });
});

describe("rotation under load", () => {
  const run = randomBytes(3).toString("hex");
  let namespace: string;
  let hook: Awaited<ReturnType<typeof startTestWebhook>>;
  const served = new Set<string>();

  beforeAll(async () => {
    ({ namespace } = await testNamespace("wh-tls", { [RUN_LABEL]: run }));
    hook = await startTestWebhook({
      run,
      certificates: {
        caValidityMs: 24_000,
        servingValidityMs: 6_000,
        caPropagationMs: 2_000,
        pollMs: 500,
      },
    });
    hook.certificates.onChange((pair) => served.add(fingerprint(pair.cert)!));
    served.add(fingerprint(hook.certificates.current()?.cert)!);
    await vi.waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace }), {
      timeout: 30_000,
    });
  });

  it(
    "renews the serving certificate and rotates the CA while every admission call succeeds",
    { timeout: 60_000 },
    async () => {
      const caBundles = new Set<string>();
      const admissionApi = kc.makeApiClient(AdmissionregistrationV1Api);
      // Each pod is reviewed by both webhooks, the mutating one and the validating one.
      const reviews = async (webhook: string) =>
        (await hook.metrics.admissionReviews.get()).values
          .filter((v) => v.labels.webhook === webhook)
          .reduce((n, v) => n + v.value, 0);
      const before = { validate: await reviews("validate"), mutate: await reviews("mutate") };
      const deadline = Date.now() + 22_000;
      let calls = 0;
      while (Date.now() < deadline) {
        // A dry run goes through admission (the webhook is called) but stores nothing.
        await core.createNamespacedPod({
          namespace,
          dryRun: "All",
          body: {
            metadata: { name: `p${calls}` },
            spec: { containers: [{ name: "c", image: "example.com/c:1" }] },
          },
        });
        calls++;
        const vwc = await admissionApi.readValidatingWebhookConfiguration({
          name: hook.configurationName,
        });
        caBundles.add(vwc.webhooks?.[0]?.clientConfig.caBundle ?? "");
        const mwc = await admissionApi.readMutatingWebhookConfiguration({
          name: hook.configurationName,
        });
        caBundles.add(mwc.webhooks?.[0]?.clientConfig.caBundle ?? "");
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await reviews("validate")) - before.validate).toBe(calls);
      expect((await reviews("mutate")) - before.mutate).toBe(calls);
      // Serving certificates renewed every ~4 s, the CA rotated once (at 16 s) and overlapped.
      expect(served.size).toBeGreaterThanOrEqual(4);
      const bundles = [...caBundles].map(
        (b) => splitPem(Buffer.from(b, "base64").toString()).length,
      );
      expect(bundles).toContain(1);
      expect(bundles).toContain(2);
      const secret = await core.readNamespacedSecret({
        name: hook.secretName,
        namespace: "latticeguard-system",
      });
      const pem = (k: string) => Buffer.from(secret.data![k]!, "base64").toString();
      expect(
        new X509Certificate(pem("tls.crt")).verify(new X509Certificate(pem("ca.crt")).publicKey),
      ).toBe(true);
    },
  );
});

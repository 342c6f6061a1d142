/**
 * The issuance API under benchmark, as a child process of bench/issuance.ts: the issuer of a chosen tree
 * (this checkout, or another one for a before/after comparison in one run), with the informers the
 * operator gives it and an in-memory ML-DSA-87 anchor, against the benchmark's control plane. The parent
 * talks to it over IPC: it answers `start` with its port and bundle, `backend` by routing the X.509
 * layer's ML-DSA to that backend (issuance-backends.ts), `cpu` with its CPU time so far, and `stop` by
 * exiting (which writes a CPU profile when it runs with `--cpu-prof`).
 *
 * The tree's modules are imported by path, so the tree may be older than this file: only what every
 * version has is used (startIssuer, Informer, createStaticAuthority, metadataOnly, shareConnections), and the pods
 * informer takes the tree's own issuer transform when it has one, as its operator would.
 *
 * @example
 * const child = fork("bench/issuance-server.ts", [], { execArgv: ["--cpu-prof"] });
 * child.send({ type: "start", tree: "/tmp/lg-base", kubeconfig });
 */
import { join } from "node:path";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import type { SignatureBackendName } from "../operator/crypto/index.ts";
import type * as IssuerModule from "../operator/identity/issuer/issuer.ts";
import type * as StaticAuthorityModule from "../operator/identity/issuer/static-authority.ts";
import type { Informer as InformerType } from "../operator/runtime/informer.ts";
import { useBackend } from "./issuance-backends.ts";

/** What the parent asks. */
export type ServerRequest =
  | { type: "start"; tree: string; kubeconfig: string; reviewCacheMs?: number }
  | { type: "backend"; backend: SignatureBackendName }
  | { type: "cpu" }
  | { type: "stop" };

/** What the child answers `start` with. */
export interface ServerStarted {
  port: number;
  bundle: string[];
}

type InformerClass = typeof InformerType;
type Transform = (obj: KubernetesObject) => KubernetesObject;

async function start(tree: string, kubeconfig: string, reviewCacheMs: number | undefined) {
  const from = <M>(path: string) => import(join(tree, path)) as Promise<M>;
  const { KubeConfig: Config } = await import("@kubernetes/client-node");
  const { Informer, metadataOnly } = await from<{
    Informer: InformerClass;
    metadataOnly: Transform;
  }>("operator/runtime/informer.ts");
  // The issuer's own pod fields where the tree has them (the operator's pods informer uses them).
  const podFields = await from<{ issuerPodFields?: Transform }>(
    "operator/identity/issuer/pod-read.ts",
  ).then(
    (m) => m.issuerPodFields,
    () => undefined,
  );
  const { startIssuer } = await from<typeof IssuerModule>("operator/identity/issuer/issuer.ts");
  const { createStaticAuthority } = await from<typeof StaticAuthorityModule>(
    "operator/identity/issuer/static-authority.ts",
  );
  const { pino } = await import("pino");
  const { Registry } = await import("prom-client");
  const kc: KubeConfig = new Config();
  kc.loadFromFile(kubeconfig);
  // As the operator does: one pool of connections to the API server, not a handshake per request.
  const { shareConnections } = await from<{ shareConnections: (kc: KubeConfig) => boolean }>(
    "operator/kube/shared-connections.ts",
  );
  if (!shareConnections(kc)) throw new Error("could not share API server connections");
  const log = pino({ level: "silent" });
  const watch = (apiVersion: string, plural: string, transform?: Transform) =>
    new Informer(kc, { resource: { apiVersion, plural }, log, ...(transform && { transform }) });
  const caches = {
    pods: watch("v1", "pods", podFields ?? metadataOnly),
    servers: watch("latticeguard.dev/v1alpha1", "mcpservers"),
    policies: watch("latticeguard.dev/v1alpha1", "cryptopolicies"),
    namespaces: watch("v1", "namespaces"),
  };
  for (const informer of Object.values(caches)) informer.start();
  await Promise.all(Object.values(caches).map((i) => i.whenSynced()));
  const authority = await createStaticAuthority({ algorithm: "ML-DSA-87" });
  const issuer = await startIssuer({
    kc,
    address: { host: "127.0.0.1", port: 0 },
    caches: caches as never,
    authority,
    trustDomain: "cluster.local",
    servingNames: [],
    registry: new Registry(),
    log,
    // Trees before the TokenReview cache ignore this.
    ...(reviewCacheMs !== undefined && { reviewCache: { ttlMs: reviewCacheMs } }),
  });
  await issuer.whenServing();
  return { issuer, authority, caches };
}

let running: Awaited<ReturnType<typeof start>> | undefined;
process.on("message", (message: ServerRequest) => {
  const reply = (value: unknown) => process.send!(value);
  switch (message.type) {
    case "start":
      void start(message.tree, message.kubeconfig, message.reviewCacheMs).then((r) => {
        running = r;
        reply({ port: r.issuer.port, bundle: r.authority.bundle() } satisfies ServerStarted);
      });
      return;
    case "backend":
      useBackend(
        message.backend,
        message.backend === "native" ? [] : [running!.authority.anchor.key],
      );
      reply({});
      return;
    case "cpu":
      reply(process.cpuUsage());
      return;
    case "stop":
      void (async () => {
        await running?.issuer.stop();
        await Promise.all(Object.values(running?.caches ?? {}).map((i) => i.stop()));
        process.exit(0);
      })();
  }
});

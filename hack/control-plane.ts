/**
 * A real, local Kubernetes control plane for `make dev` and the integration tests: etcd, kube-apiserver and
 * a kube-controller-manager running only the garbage-collector, namespace, service-account, deployment and
 * replica-set controllers, so owner references cascade, namespaces delete, and a Deployment really creates
 * its ReplicaSet and pods, through admission (the mutating webhook sees the pods the controllers make).
 * There are no nodes: pods are stored, never run. Everything listens on free loopback ports and lives in
 * one temporary directory, removed on stop.
 *
 * The API server has what LatticeGuard needs from a cluster: token authentication (an admin token in the
 * `system:masters` group), RBAC, and a service-account issuer with signing keys, so TokenRequest and
 * TokenReview work. Its serving certificate is self-generated; the kubeconfig trusts exactly that CA.
 *
 * @example
 * const cp = await startControlPlane();
 * // KUBECONFIG=cp.kubeconfigPath kubectl get ns
 * await cp.stop();
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort, ManagedProcess } from "./process.ts";
import { tools } from "./tools.ts";

/** The service-account issuer (and default token audience) of the local API server. */
export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";

/** A running control plane. */
export interface ControlPlane {
  /** `https://127.0.0.1:<port>` */
  server: string;
  /** A kubeconfig for the admin user, inside `dir`. */
  kubeconfigPath: string;
  /** The admin user's bearer token (`system:masters`). */
  adminToken: string;
  /** The CA that signed the API server's serving certificate, PEM. */
  caPem: string;
  /** The temporary directory holding data, keys and logs. */
  dir: string;
  /** The processes, by name, for tests that stop or restart one. */
  processes: Record<"etcd" | "kube-apiserver" | "kube-controller-manager", ManagedProcess>;
  /** Waits until the API server answers `/readyz` again (after a restart). */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops every process and removes `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Where progress lines go; default stderr. */
  log?: (line: string) => void;
  /** How long to wait for `/readyz`; 60 s by default, enough on a busy 2-core machine. */
  readyTimeoutMs?: number;
  /**
   * More kube-apiserver flags, for tests that need a differently tuned API server (a short etcd
   * compaction interval, a resource served without the watch cache); later flags win.
   */
  apiserverArgs?: readonly string[];
  /**
   * Aborts the start (a user who stops `make dev` before it is up): the processes started so far are
   * stopped, the directory is removed, and the promise rejects, without the logs a failure prints.
   */
  signal?: AbortSignal;
}

async function get(url: string, token: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, ca, timeout: 2000 });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}

async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} was not ready within ${timeoutMs / 1000}s`);
}

function kubeconfig(server: string, caPem: string, token: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "latticeguard-local",
        cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") },
      },
    ],
    users: [{ name: "latticeguard-admin", user: { token } }],
    contexts: [
      {
        name: "latticeguard-local",
        context: { cluster: "latticeguard-local", user: "latticeguard-admin" },
      },
    ],
    "current-context": "latticeguard-local",
  });
}

/** Starts etcd, kube-apiserver and kube-controller-manager; resolves once the API server is ready. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? ((line: string) => process.stderr.write(`control-plane: ${line}\n`));
  const { signal } = options;
  signal?.throwIfAborted();
  const bin = await tools();
  const dir = await mkdtemp(join(tmpdir(), "latticeguard-cp-"));
  const started: ManagedProcess[] = [];
  const cleanup = async () => {
    // One at a time, the last started first: kube-apiserver stopped after etcd waits out its whole
    // grace period (10 s) for an etcd that is gone; stopped before it, it exits in about a second.
    for (const p of [...started].reverse()) await p.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(join(dir, "pki"));
    const adminToken = randomBytes(32).toString("hex");
    await writeFile(
      join(dir, "tokens.csv"),
      `${adminToken},latticeguard-admin,latticeguard-admin,"system:masters"\n`,
      { mode: 0o600 },
    );
    const saKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await writeFile(
      join(dir, "pki/sa.key"),
      saKey.privateKey.export({ type: "pkcs8", format: "pem" }),
      {
        mode: 0o600,
      },
    );
    await writeFile(
      join(dir, "pki/sa.pub"),
      saKey.publicKey.export({ type: "spki", format: "pem" }),
    );

    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcd = new ManagedProcess(
      "etcd",
      bin.etcd,
      [
        "--name=default",
        `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      join(dir, "etcd.log"),
    );
    started.push(etcd);
    await etcd.start();
    const etcdHealth = `http://127.0.0.1:${etcdClient}/health`;
    await until(
      "etcd",
      30_000,
      async () => {
        etcd.assertRunning();
        return fetch(etcdHealth).then(
          (r) => r.ok,
          () => false,
        );
      },
      signal,
    );
    log(`etcd ready on 127.0.0.1:${etcdClient}`);

    const apiserver = new ManagedProcess(
      "kube-apiserver",
      bin.kubeApiserver,
      [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, "pki")}`,
        `--token-auth-file=${join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        `--service-account-key-file=${join(dir, "pki/sa.pub")}`,
        `--service-account-signing-key-file=${join(dir, "pki/sa.key")}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        "--allow-privileged=true",
        // Reach Services (webhooks, as in the chart) through their endpoints: there is no kube-proxy here.
        "--enable-aggregator-routing=true",
        "--v=1",
        ...(options.apiserverArgs ?? []),
      ],
      join(dir, "kube-apiserver.log"),
    );
    started.push(apiserver);
    await apiserver.start();
    const server = `https://127.0.0.1:${apiPort}`;
    // The API server writes its self-signed serving certificate, followed by its CA, before it listens.
    let caPem = "";
    await until(
      "kube-apiserver's serving certificate",
      30_000,
      async () => {
        apiserver.assertRunning();
        caPem = await readFile(join(dir, "pki/apiserver.crt"), "utf8").catch(() => "");
        return caPem.includes("END CERTIFICATE");
      },
      signal,
    );
    const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    const waitReady = (timeoutMs = readyTimeoutMs, abort?: AbortSignal) =>
      until(
        "kube-apiserver /readyz",
        timeoutMs,
        async () => {
          apiserver.assertRunning();
          return (await get(`${server}/readyz`, adminToken, caPem)) === 200;
        },
        abort,
      );
    await waitReady(readyTimeoutMs, signal);
    log(`kube-apiserver ready at ${server}`);

    const kubeconfigPath = join(dir, "kubeconfig");
    await writeFile(kubeconfigPath, kubeconfig(server, caPem, adminToken), { mode: 0o600 });

    const controllerManager = new ManagedProcess(
      "kube-controller-manager",
      bin.kubeControllerManager,
      [
        `--kubeconfig=${kubeconfigPath}`,
        // Names as `kube-controller-manager --help` lists them under `--controllers`.
        "--controllers=" +
          [
            "garbage-collector-controller",
            "namespace-controller",
            "serviceaccount-controller",
            "deployment-controller",
            "replicaset-controller",
          ].join(","),
        `--service-account-private-key-file=${join(dir, "pki/sa.key")}`,
        "--leader-elect=false",
        "--secure-port=0",
        "--v=1",
      ],
      join(dir, "kube-controller-manager.log"),
    );
    started.push(controllerManager);
    await controllerManager.start();
    signal?.throwIfAborted();

    return {
      server,
      kubeconfigPath,
      adminToken,
      caPem,
      dir,
      processes: {
        etcd,
        "kube-apiserver": apiserver,
        "kube-controller-manager": controllerManager,
      },
      waitReady: (timeoutMs?: number) => waitReady(timeoutMs),
      stop: cleanup,
    };
  } catch (error) {
    if (!signal?.aborted) for (const p of started) p.printLogTail(log);
    await cleanup();
    throw error;
  }
}

import { describe, expect, it } from "vitest";
import { operatorHelp, parseOperatorFlags } from "./flags.ts";

describe("parseOperatorFlags", () => {
  it("has sensible defaults, like cert-manager's", () => {
    expect(parseOperatorFlags([], {})).toEqual({
      kubeconfig: undefined,
      namespace: "latticeguard-system",
      watchNamespaces: undefined,
      metricsAddress: { host: "0.0.0.0", port: 8080 },
      leaderElect: true,
      leaseDurationMs: 60_000,
      renewDeadlineMs: 40_000,
      retryPeriodMs: 15_000,
      kemBackend: "auto",
      rekeyPerSecond: 5,
      rekeyBurst: 20,
      workers: 4,
      logLevel: "info",
      kubeApiTimeoutMs: 30_000,
      webhook: {
        address: { host: "0.0.0.0", port: 9443 },
        tls: "self-managed",
        certDir: "/etc/latticeguard/webhook-tls",
        service: "latticeguard-webhook",
        configuration: "latticeguard",
        mutatingConfiguration: "latticeguard",
        secret: "latticeguard-webhook-tls",
      },
      proxy: {
        image: undefined,
        issuerUrl: "https://latticeguard-issuer.latticeguard-system.svc:8443",
      },
      probe: { intervalMs: 300_000, concurrency: 8, timeoutMs: 5_000 },
      identity: {
        trustDomain: "cluster.local",
        maxTtlMs: 24 * 3_600_000,
        issuerAddress: { host: "0.0.0.0", port: 8443 },
        issuerService: "latticeguard-issuer",
        anchorSecret: "latticeguard-trust-anchor",
        anchorAlgorithm: "ML-DSA-87",
        anchorLifetimeMs: 720 * 3_600_000,
        bundleConfigMap: "latticeguard-trust-bundle",
        issuerLimits: { perSecond: 10, burst: 20, maxInFlight: 64 },
      },
    });
  });

  it("configures the trust anchor, and allows short lifetimes only with a short identity TTL", () => {
    const config = parseOperatorFlags(
      [
        "--trust-domain=prod.example",
        "--max-identity-ttl=2s",
        "--trust-anchor-algorithm=ML-DSA-65",
        "--trust-anchor-lifetime=7s",
        "--trust-anchor-secret=anchors",
        "--trust-bundle-configmap=bundle",
      ],
      {},
    );
    expect(config.identity).toEqual({
      trustDomain: "prod.example",
      maxTtlMs: 2000,
      issuerAddress: { host: "0.0.0.0", port: 8443 },
      issuerService: "latticeguard-issuer",
      anchorSecret: "anchors",
      anchorAlgorithm: "ML-DSA-65",
      anchorLifetimeMs: 7000,
      bundleConfigMap: "bundle",
      issuerLimits: { perSecond: 10, burst: 20, maxInFlight: 64 },
    });
  });

  it("configures the webhook, or turns it off", () => {
    const config = parseOperatorFlags(
      [
        "--webhook-bind-address=127.0.0.1:0",
        "--webhook-tls=cert-manager",
        "--webhook-cert-dir=/certs",
        "--webhook-service=lg-webhook",
        "--webhook-configuration=lg.example.com",
        "--mutating-webhook-configuration=lg-inject",
        "--webhook-secret=lg-tls",
      ],
      {},
    );
    expect(config.webhook).toEqual({
      address: { host: "127.0.0.1", port: 0 },
      tls: "cert-manager",
      certDir: "/certs",
      service: "lg-webhook",
      configuration: "lg.example.com",
      mutatingConfiguration: "lg-inject",
      secret: "lg-tls",
    });
    expect(parseOperatorFlags(["--webhook-bind-address=off"], {}).webhook).toBeUndefined();
  });

  it("configures the injected proxy, its issuer following the issuer Service and namespace", () => {
    const image = "registry.example.com/latticeguard@sha256:" + "a".repeat(64);
    expect(
      parseOperatorFlags(
        [`--proxy-image=${image}`, "--proxy-issuer-url=https://issuer.example.com:9443"],
        {},
      ).proxy,
    ).toEqual({ image, issuerUrl: "https://issuer.example.com:9443" });
    expect(
      parseOperatorFlags(["--issuer-service=lg-issuer"], { POD_NAMESPACE: "platform" }).proxy,
    ).toEqual({ image: undefined, issuerUrl: "https://lg-issuer.platform.svc:8443" });
  });

  it("schedules the handshake probe, or turns it off", () => {
    expect(
      parseOperatorFlags(
        ["--probe-interval=30s", "--probe-concurrency=32", "--probe-timeout=500ms"],
        {},
      ).probe,
    ).toEqual({ intervalMs: 30_000, concurrency: 32, timeoutMs: 500 });
    expect(parseOperatorFlags(["--probe-interval=off"], {}).probe).toBeUndefined();
  });

  it("takes the namespace from POD_NAMESPACE when the flag is absent", () => {
    expect(parseOperatorFlags([], { POD_NAMESPACE: "lg" }).namespace).toBe("lg");
    expect(parseOperatorFlags(["--namespace=x"], { POD_NAMESPACE: "lg" }).namespace).toBe("x");
  });

  it.each([
    ["mcp-a", ["mcp-a"]],
    ["mcp-a,mcp-b", ["mcp-a", "mcp-b"]],
    [" mcp-a , mcp-b ", ["mcp-a", "mcp-b"]],
    ["mcp-a,mcp-b,mcp-a", ["mcp-a", "mcp-b"]],
    ["", undefined],
  ])("watches the namespaces of --watch-namespaces=%j", (raw, namespaces) => {
    expect(parseOperatorFlags([`--watch-namespaces=${raw}`], {}).watchNamespaces).toEqual(
      namespaces,
    );
  });

  it("parses every flag", () => {
    const config = parseOperatorFlags(
      [
        "--kubeconfig=/k",
        "--metrics-bind-address=127.0.0.1:0",
        "--leader-elect=false",
        "--leader-election-lease-duration=6s",
        "--leader-election-renew-deadline=4s",
        "--leader-election-retry-period=1s",
        "--kem-backend=noble",
        "--rekey-rate=2",
        "--rekey-burst=3",
        "--workers=8",
        "--log-level=debug",
        "--kube-api-timeout=10s",
        "--issuer-rate=0.5",
        "--issuer-burst=3",
        "--issuer-max-inflight=8",
      ],
      {},
    );
    expect(config).toMatchObject({
      kubeconfig: "/k",
      metricsAddress: { host: "127.0.0.1", port: 0 },
      leaderElect: false,
      leaseDurationMs: 6000,
      renewDeadlineMs: 4000,
      retryPeriodMs: 1000,
      kemBackend: "noble",
      rekeyPerSecond: 2,
      rekeyBurst: 3,
      workers: 8,
      logLevel: "debug",
      kubeApiTimeoutMs: 10_000,
      identity: { issuerLimits: { perSecond: 0.5, burst: 3, maxInFlight: 8 } },
    });
  });

  it.each([
    [["--probe-interval=500ms"], '--probe-interval: must be from 1s to 24h, got "500ms"'],
    [["--probe-concurrency=0"], "--probe-concurrency: must be a whole number from 1 to 256"],
    [["--probe-timeout=10ms"], "--probe-timeout: must be from 100ms to 1m"],
    [
      ["--probe-interval=2s", "--probe-timeout=2s"],
      '--probe-timeout: must be less than --probe-interval, got "2s"',
    ],
    [["--workers=0"], "--workers: must be a whole number from 1 to 64"],
    [["--workers=2.5"], "--workers: must be a whole number"],
    [["--kem-backend=openssl"], '--kem-backend: must be one of native, noble, auto, got "openssl"'],
    [["--leader-elect=yes"], '--leader-elect: must be true or false, got "yes"'],
    [["--leader-election-lease-duration=1 minute"], "--leader-election-lease-duration:"],
    [
      ["--leader-election-retry-period=10ms"],
      "--leader-election-retry-period: must be at least 1s",
    ],
    [["--metrics-bind-address=8080"], "--metrics-bind-address: must be host:port"],
    [["--issuer-bind-address=8443"], "--issuer-bind-address: must be host:port"],
    [["--issuer-service=Issuer"], "--issuer-service: must be a Service name"],
    [["--metrics-bind-address=:99999"], "--metrics-bind-address: must be host:port"],
    [["--namespace=Not_A_Namespace"], "--namespace:"],
    [
      ["--watch-namespaces=mcp-a,Shop,x_y"],
      '--watch-namespaces: must be namespace names separated by commas; not one: "Shop", "x_y"',
    ],
    [["--watch-namespaces=mcp-a,,mcp-b"], "--watch-namespaces: must be namespace names"],
    [["--watch-namespaces=,"], "--watch-namespaces: must be namespace names"],
    [[`--watch-namespaces=${"a".repeat(64)}`], "--watch-namespaces: must be namespace names"],
    [["--log-level=loud"], "--log-level: must be one of"],
    [
      ["--leader-election-lease-duration=10s", "--leader-election-renew-deadline=20s"],
      "must exceed",
    ],
    [["--no-such-flag"], "latticeguard operator: Unknown option '--no-such-flag'"],
    [["--webhook-bind-address=9443"], "--webhook-bind-address: must be host:port"],
    [["--webhook-tls=vault"], '--webhook-tls: must be self-managed or cert-manager, got "vault"'],
    [["--webhook-service=Web.Hook"], "--webhook-service: must be a Service name"],
    [["--webhook-secret=a_b"], "--webhook-secret: must be a Kubernetes object name"],
    [["--webhook-configuration="], "--webhook-configuration: must be a Kubernetes object name"],
    [["--webhook-cert-dir="], "--webhook-cert-dir: must be a directory"],
    [
      ["--mutating-webhook-configuration=A"],
      "--mutating-webhook-configuration: must be a Kubernetes object name",
    ],
    [["--proxy-image=latticeguard proxy"], "--proxy-image: must be an image reference"],
    [["--proxy-image=-x"], "--proxy-image: must be an image reference"],
    [["--proxy-issuer-url=http://issuer:8443"], "--proxy-issuer-url: must be https://host[:port]"],
    [["--proxy-issuer-url=https://issuer/v1"], "--proxy-issuer-url: must be https://host[:port]"],
    [["--proxy-issuer-url=https://issuer/"], "--proxy-issuer-url: must be https://host[:port]"],
    [["--proxy-issuer-url=issuer:8443"], "--proxy-issuer-url: must be https://host[:port]"],
    [["--trust-domain=Cluster.Local"], "--trust-domain: `trustDomain` must be"],
    [["--trust-anchor-algorithm=Dilithium5"], "--trust-anchor-algorithm: must be one of ML-DSA-44"],
    [["--trust-anchor-lifetime=soon"], "--trust-anchor-lifetime:"],
    [["--max-identity-ttl=500ms"], "--max-identity-ttl: must be at least 1s"],
    [["--kube-api-timeout=100ms"], "--kube-api-timeout: must be at least 1s"],
    [
      ["--issuer-rate=0"],
      '--issuer-rate: must be a number greater than 0 and at most 100000, got "0"',
    ],
    [["--issuer-rate=-1"], "--issuer-rate: must be a number greater than 0"],
    [["--issuer-rate=fast"], "--issuer-rate: must be a number greater than 0"],
    [["--issuer-rate=1e9"], "--issuer-rate: must be a number greater than 0"],
    [["--issuer-burst=0"], "--issuer-burst: must be a whole number from 1 to 100000"],
    [["--issuer-max-inflight=0"], "--issuer-max-inflight: must be a whole number from 1 to 10000"],
    [["--issuer-max-inflight=64.5"], "--issuer-max-inflight: must be a whole number"],
    [["--trust-anchor-secret=A"], "--trust-anchor-secret: must be a Kubernetes object name"],
    [
      ["--trust-bundle-configmap=a/b"],
      "--trust-bundle-configmap: must be a Kubernetes object name",
    ],
    [
      ["--trust-anchor-lifetime=72h"],
      "--trust-anchor-lifetime: a third of it (24h) must exceed --max-identity-ttl (24h)",
    ],
    [
      ["--trust-anchor-lifetime=1h", "--max-identity-ttl=30m"],
      "a third of it (20m) must exceed --max-identity-ttl (30m)",
    ],
  ])("rejects %j, naming the flag", (argv, message) => {
    expect(() => parseOperatorFlags(argv, {})).toThrow(message);
  });

  it("reports every bad flag at once", () => {
    expect(() => parseOperatorFlags(["--workers=0", "--log-level=loud"], {})).toThrow(
      /--workers: .*\n\s+--log-level: /,
    );
  });
});

describe("operatorHelp", () => {
  it("lists every flag with its default", () => {
    const help = operatorHelp();
    expect(help).toContain("--kem-backend");
    expect(help).toContain("(default auto)");
    expect(help).toContain("--trust-anchor-lifetime");
    expect(help).toContain("(default 720h)");
  });
});

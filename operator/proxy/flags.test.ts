import { describe, expect, it } from "vitest";
import { parseProxyFlags, proxyHelp } from "./flags.ts";

const ISSUER = "--issuer=https://latticeguard-issuer.latticeguard-system.svc:8443";
const INBOUND = [ISSUER, "--listen=10.0.0.7:8443", "--mcpserver=mcp/search"];
const OUTBOUND = [
  ISSUER,
  "--connect=mcp/search",
  "--listen=127.0.0.1:15001",
  "--upstream=search.mcp.svc:8443",
];

describe("parseProxyFlags", () => {
  it("takes the documented defaults inbound", () => {
    expect(parseProxyFlags(INBOUND)).toEqual({
      mode: "inbound",
      issuer: new URL("https://latticeguard-issuer.latticeguard-system.svc:8443"),
      tokenFile: "/var/run/secrets/latticeguard.dev/identity/token",
      bundleFile: "/var/run/latticeguard.dev/trust/bundle.pem",
      identityDir: "/var/run/latticeguard.dev/identity",
      algorithm: "ML-DSA-65",
      groups: ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "MLKEM1024"],
      listen: { host: "10.0.0.7", port: 8443 },
      upstream: { host: "127.0.0.1", port: 8443 },
      server: { namespace: "mcp", name: "search" },
      allow: [{ kind: "Namespace", namespace: "mcp" }],
      metricsAddress: { host: "0.0.0.0", port: 15090 },
      logLevel: "info",
      check: false,
    });
  });

  it("takes the documented defaults outbound", () => {
    expect(parseProxyFlags(OUTBOUND)).toMatchObject({
      mode: "outbound",
      listen: { host: "127.0.0.1", port: 15001 },
      upstream: { host: "search.mcp.svc", port: 8443 },
      server: { namespace: "mcp", name: "search" },
      serverName: "search.mcp.svc",
    });
  });

  it("admits nobody with --allow=none (an MCPServer's spec.clients: [])", () => {
    const config = parseProxyFlags([...INBOUND, "--allow=none"]);
    expect(config.mode === "inbound" && config.allow).toEqual([]);
  });

  it("takes every inbound flag, --allow repeated", () => {
    const config = parseProxyFlags([
      ...INBOUND,
      "--token-file=/t/token",
      "--bundle-file=/b/bundle.pem",
      "--identity-dir=/id",
      "--algorithm=ML-DSA-87",
      "--groups=X25519MLKEM768",
      "--upstream=127.0.0.1:9000",
      "--allow=namespace:agents",
      "--allow=serviceaccount:tools/planner",
      "--allow=spiffe:spiffe://other.example/ns/a/sa/b",
      "--metrics-address=off",
      "--log-level=debug",
    ]);
    expect(config).toMatchObject({
      tokenFile: "/t/token",
      bundleFile: "/b/bundle.pem",
      identityDir: "/id",
      algorithm: "ML-DSA-87",
      groups: ["X25519MLKEM768"],
      upstream: { host: "127.0.0.1", port: 9000 },
      allow: [
        { kind: "Namespace", namespace: "agents" },
        { kind: "ServiceAccount", namespace: "tools", name: "planner" },
        { kind: "SpiffeId", id: "spiffe://other.example/ns/a/sa/b" },
      ],
      metricsAddress: undefined,
      logLevel: "debug",
    });
  });

  it("takes an IPv6 pod address as $(POD_IP) expands it", () => {
    expect(
      parseProxyFlags([ISSUER, "--listen=fd00::7:8443", "--mcpserver=mcp/search"]),
    ).toMatchObject({
      listen: { host: "fd00::7", port: 8443 },
      upstream: { host: "127.0.0.1", port: 8443 },
    });
  });

  it("takes --server-name outbound", () => {
    expect(parseProxyFlags([...OUTBOUND, "--server-name=search-svc.mcp.svc"])).toMatchObject({
      serverName: "search-svc.mcp.svc",
    });
  });

  it("checks only --identity-dir for --check", () => {
    expect(parseProxyFlags(["--check", "--identity-dir=/id"])).toMatchObject({
      check: true,
      identityDir: "/id",
    });
    expect(() => parseProxyFlags(["--check", "--identity-dir=id"])).toThrow("--identity-dir");
  });

  it.each([
    [["--listen=10.0.0.7:8443", "--mcpserver=mcp/search"], "--issuer: is required"],
    [[ISSUER, "--mcpserver=mcp/search"], "--listen: is required"],
    [[ISSUER, "--listen=10.0.0.7:8443"], "--mcpserver: is required"],
    [[...INBOUND.slice(0, 2), "--mcpserver=search"], "--mcpserver: must be <namespace>/<name>"],
    [
      [ISSUER, "--listen=pod:8443", "--mcpserver=mcp/s"],
      "--listen: the host must be an IP address",
    ],
    [[...INBOUND, "--upstream=10.0.0.8:8443"], "--upstream: must be a loopback address"],
    [
      [ISSUER, "--listen=10.0.0.7:0", "--mcpserver=mcp/s"],
      "--upstream: is required when --listen has port 0",
    ],
    [[...INBOUND, "--groups=X25519"], "--groups: must list post-quantum TLS 1.3 groups"],
    [[...INBOUND, "--groups=X25519MLKEM768,X25519"], 'not "X25519"'],
    [[...INBOUND, "--groups="], "--groups: must list post-quantum"],
    [[...INBOUND, "--groups=MLKEM1024,MLKEM1024"], "--groups: lists a group twice"],
    [[...INBOUND, "--allow=agents"], '`--allow` "agents": must be namespace:<ns>'],
    [[...INBOUND, "--allow=none", "--allow=namespace:mcp"], "`--allow` none must be the only"],
    [[...INBOUND, "--algorithm=ML-DSA-99"], "--algorithm: must be one of ML-DSA-44"],
    [[...INBOUND, "--metrics-address=:15090"], "--metrics-address: must be host:port"],
    [[...INBOUND, "--identity-dir=id"], "--identity-dir: must be an absolute path"],
    [[...INBOUND, "--log-level=loud"], "--log-level: must be one of"],
    [[...INBOUND, "--server-name=x.svc"], "--server-name: applies to outbound mode only"],
    [[...OUTBOUND.slice(0, 2), "--upstream=s:1"], "--listen: is required"],
    [[...OUTBOUND.slice(0, 3)], "--upstream: is required"],
    [
      [...OUTBOUND.slice(0, 2), "--listen=0.0.0.0:15001", "--upstream=s:1"],
      '--listen: must be a loopback address (the local plaintext port), got "0.0.0.0:15001"',
    ],
    [[...OUTBOUND, "--mcpserver=mcp/search"], "--mcpserver: applies to inbound mode only"],
    [[...OUTBOUND, "--allow=namespace:mcp"], "--allow: applies to inbound mode only"],
    [[...OUTBOUND, "--server-name=Search"], "--server-name: must be a lowercase DNS name"],
    [[...INBOUND, "--unknown=1"], "latticeguard proxy: Unknown option '--unknown'"],
    [[...INBOUND, "positional"], "latticeguard proxy: Unexpected argument 'positional'"],
  ])("refuses %j naming the flag", (argv, message) => {
    expect(() => parseProxyFlags(argv)).toThrow(message);
  });

  it("reports every bad flag at once", () => {
    expect(() =>
      parseProxyFlags([
        "--issuer=http://x",
        "--listen=nowhere",
        "--algorithm=RSA",
        "--groups=X25519",
      ]),
    ).toThrow(
      /--issuer: must be an https:\/\/ URL[\s\S]*--algorithm:[\s\S]*--groups:[\s\S]*--listen:[\s\S]*--mcpserver: is required/,
    );
  });
});

describe("proxyHelp", () => {
  it("lists every flag with its default", () => {
    const help = proxyHelp();
    for (const flag of ["--issuer", "--listen", "--upstream", "--allow", "--connect", "--check"])
      expect(help).toContain(flag);
    expect(help).toContain("(default /var/run/latticeguard.dev/identity)");
    expect(help).toContain("(default 0.0.0.0:15090)");
  });
});

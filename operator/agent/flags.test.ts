import { describe, expect, it } from "vitest";
import { agentHelp, parseAgentFlags } from "./flags.ts";

const ISSUER = "--issuer=https://latticeguard-issuer.latticeguard-system.svc:8443";

describe("parseAgentFlags", () => {
  it("takes the documented defaults", () => {
    expect(parseAgentFlags([ISSUER])).toEqual({
      issuer: new URL("https://latticeguard-issuer.latticeguard-system.svc:8443"),
      tokenFile: "/var/run/secrets/latticeguard.dev/identity/token",
      bundleFile: "/var/run/latticeguard.dev/trust/bundle.pem",
      outDir: "/var/run/latticeguard.dev/identity",
      algorithm: "ML-DSA-65",
      logLevel: "info",
      check: false,
    });
  });

  it("takes every flag", () => {
    const config = parseAgentFlags([
      "--issuer=https://127.0.0.1:8443",
      "--token-file=/t/token",
      "--bundle-file=/b/bundle.pem",
      "--out-dir=/out",
      "--algorithm=ML-DSA-87",
      "--log-level=debug",
    ]);
    expect(config).toMatchObject({
      tokenFile: "/t/token",
      bundleFile: "/b/bundle.pem",
      outDir: "/out",
      algorithm: "ML-DSA-87",
      logLevel: "debug",
    });
    expect(config.issuer.host).toBe("127.0.0.1:8443");
  });

  it.each([
    [[], "--issuer: is required"],
    [
      ["--issuer=http://issuer:8443"],
      '--issuer: must be an https:// URL, got "http://issuer:8443"',
    ],
    [["--issuer=issuer:8443"], "--issuer: must be an https:// URL"],
    [["--issuer=https://issuer/v1/identity"], "--issuer: must be a base URL"],
    [["--issuer=https://u:p@issuer"], "--issuer: must be a base URL"],
    [
      [ISSUER, "--algorithm=ML-DSA-99"],
      '--algorithm: must be one of ML-DSA-44, ML-DSA-65, ML-DSA-87, got "ML-DSA-99"',
    ],
    [[ISSUER, "--token-file=token"], '--token-file: must be an absolute path, got "token"'],
    [[ISSUER, "--bundle-file="], "--bundle-file: must be an absolute path"],
    [[ISSUER, "--out-dir=out"], "--out-dir: must be an absolute path"],
    [[ISSUER, "--log-level=loud"], "--log-level: must be one of"],
    [[ISSUER, "--unknown=1"], "latticeguard agent: Unknown option '--unknown'"],
    [[ISSUER, "positional"], "latticeguard agent: Unexpected argument 'positional'"],
  ])("refuses %j naming the flag", (argv, message) => {
    expect(() => parseAgentFlags(argv)).toThrow(message);
  });

  it("reports every bad flag at once", () => {
    expect(() => parseAgentFlags(["--algorithm=RSA", "--out-dir=x"])).toThrow(
      /--issuer: .*\n {2}--out-dir: .*\n {2}--algorithm: /,
    );
  });

  it("needs only --out-dir with --check", () => {
    expect(parseAgentFlags(["--check", "--out-dir=/out"])).toMatchObject({
      check: true,
      outDir: "/out",
    });
  });
});

describe("agentHelp", () => {
  it("lists every flag with its default", () => {
    const help = agentHelp();
    for (const flag of [
      "--issuer",
      "--token-file",
      "--bundle-file",
      "--out-dir",
      "--algorithm",
      "--check",
    ])
      expect(help).toContain(flag);
    expect(help).toContain("(default ML-DSA-65)");
  });
});

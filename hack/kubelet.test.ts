import { describe, expect, it } from "vitest";
import { mergePolicies } from "../operator/policy/merge.ts";
import { parseProxyFlags } from "../operator/proxy/flags.ts";
import { proxySidecar } from "../webhook/proxy-spec.ts";
import { mcpServer, policy } from "../webhook/testing/fixtures.ts";
import { kubeletArgs, mountFlags, type PodMounts } from "./kubelet.ts";

const mounts: PodMounts = {
  tokenFile: "/tmp/lg/token",
  bundleFile: "/tmp/lg/bundle.pem",
  identityDir: "/tmp/lg/identity",
};
const at = { listen: "127.0.0.1:0", upstream: "127.0.0.1:40123", mounts };

describe("kubeletArgs", () => {
  it("runs the sidecar the webhook injects on loopback, with the files it wrote", () => {
    const server = mcpServer(
      "mcp-demo",
      "calculator",
      { app: "calculator-mcp" },
      {
        proxy: { mode: "Sidecar" },
        clients: [{ namespace: "mcp-agents", serviceAccount: "planner" }],
      },
    );
    const sidecar = proxySidecar({
      server,
      port: 8443,
      policy: mergePolicies([policy("baseline")]).policy,
      proxyImage: "ghcr.io/latticeguard/latticeguard:0.1.0",
      issuerUrl: "https://127.0.0.1:36321",
    });
    const config = parseProxyFlags(kubeletArgs(sidecar.args!, at));
    expect(config).toMatchObject({
      mode: "inbound",
      listen: { host: "127.0.0.1", port: 0 },
      upstream: { host: "127.0.0.1", port: 40123 },
      server: { namespace: "mcp-demo", name: "calculator" },
      issuer: new URL("https://127.0.0.1:36321"),
      tokenFile: mounts.tokenFile,
      bundleFile: mounts.bundleFile,
      identityDir: mounts.identityDir,
      metricsAddress: { host: "127.0.0.1", port: 0 },
    });
  });

  it.each([
    ["a command other than proxy", ["agent", "--listen=$(POD_IP):8443"], /runs "agent"/],
    ["an unknown kubelet variable", ["proxy", "--issuer=https://$(HOST):8443"], /\$\(HOST\)/],
  ])("refuses %s", (_what, args, message) => {
    expect(() => kubeletArgs(args, at)).toThrow(message);
  });

  it("keeps every other flag, in order, before the mounted files", () => {
    expect(kubeletArgs(["proxy", "--listen=$(POD_IP):8443", "--allow=none"], at)).toEqual([
      "--listen=127.0.0.1:0",
      "--allow=none",
      ...mountFlags(mounts),
    ]);
  });
});

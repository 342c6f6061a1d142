/**
 * The `latticeguard proxy` command line, parsed and checked in one pure function: every bad flag is
 * reported at once, each by name, before anything starts. One program, two modes: without `--connect` the
 * proxy terminates mutual TLS in front of an MCP server (inbound); with `--connect=<ns>/<name>` it gives an
 * MCP client a plaintext local port to that MCPServer (outbound). A flag of the other mode is an error,
 * not silently ignored.
 *
 * @example
 * const config = parseProxyFlags(["--issuer=https://latticeguard-issuer.latticeguard-system.svc:8443",
 *   "--listen=10.0.0.7:8443", "--mcpserver=mcp/search"]);
 * config.mode; // "inbound"
 */
import { parseArgs } from "node:util";
import {
  KEY_EXCHANGE_GROUPS,
  SIGNATURE_ALGORITHMS,
  type KeyExchangeGroup,
  type SignatureAlgorithm,
} from "../api/algorithms.ts";
import { absolutePath, issuerUrl, LOG_LEVELS } from "../agent/flags.ts";
import { parseClientRule, type ClientRule } from "../policy/clients.ts";
import { formatHostPort, isLoopback, parseHostPort, type HostPort } from "./address.ts";

/**
 * An MCPServer by namespace and name.
 *
 * @example
 * const ref: ServerRef = { namespace: "mcp", name: "search" };
 */
export interface ServerRef {
  namespace: string;
  name: string;
}

/**
 * What both modes run with.
 *
 * @example
 * const { issuer, identityDir, groups }: CommonConfig = config;
 */
export interface CommonConfig {
  issuer: URL;
  tokenFile: string;
  bundleFile: string;
  identityDir: string;
  algorithm: SignatureAlgorithm;
  groups: KeyExchangeGroup[];
  listen: HostPort;
  upstream: HostPort;
  /** The MCPServer served (inbound) or called (outbound): metrics labels and messages. */
  server: ServerRef;
  /** Undefined: `--metrics-address=off`. */
  metricsAddress: HostPort | undefined;
  logLevel: string;
  /** Only check that `identityDir` holds a currently valid identity (a startup probe), then exit. */
  check: boolean;
}

/**
 * Everything the proxy is configured with, by mode.
 *
 * @example
 * if (config.mode === "inbound") config.allow; // who may call
 */
export type ProxyConfig =
  | (CommonConfig & { mode: "inbound"; allow: ClientRule[] })
  | (CommonConfig & { mode: "outbound"; serverName: string });

/**
 * Flags, their defaults (the paths of the injected pod spec) and help.
 *
 * @example
 * PROXY_FLAGS["identity-dir"].default; // "/var/run/latticeguard.dev/identity"
 */
export const PROXY_FLAGS = {
  issuer: { default: "", help: "The issuance API's base URL, https://host[:port] (required)." },
  "token-file": {
    default: "/var/run/secrets/latticeguard.dev/identity/token",
    help: "The projected service-account token (LatticeGuard audience); re-read for every request.",
  },
  "bundle-file": {
    default: "/var/run/latticeguard.dev/trust/bundle.pem",
    help: "The mounted trust bundle (ConfigMap latticeguard-trust-bundle).",
  },
  "identity-dir": {
    default: "/var/run/latticeguard.dev/identity",
    help: "Where key.pem, cert.pem and bundle.pem are written (an in-memory emptyDir).",
  },
  algorithm: {
    default: "ML-DSA-65",
    help: `The key's algorithm: ${SIGNATURE_ALGORITHMS.join(", ")}.`,
  },
  groups: {
    default: KEY_EXCHANGE_GROUPS.join(","),
    help: "Comma-separated TLS 1.3 key-exchange groups offered, post-quantum only.",
  },
  listen: {
    default: "",
    help: "Inbound: host:port to terminate TLS on ($(POD_IP):<mcp port>); outbound: the loopback host:port of the local plaintext port (required).",
  },
  upstream: {
    default: "",
    help: "Inbound: the MCP server on loopback (default 127.0.0.1:<listen port>); outbound: the remote MCP endpoint host:port (required).",
  },
  mcpserver: {
    default: "",
    help: "Inbound: <namespace>/<name> of the MCPServer served (required).",
  },
  allow: {
    default: "",
    help: "Inbound, repeatable: who may call, namespace:<ns>, serviceaccount:<ns>/<name> or spiffe:<id>; none (alone): nobody (default namespace:<the MCPServer's namespace>).",
  },
  connect: { default: "", help: "Outbound mode: <namespace>/<name> of the MCPServer to reach." },
  "server-name": {
    default: "",
    help: "Outbound: the DNS name the server certificate must carry (default <name>.<namespace>.svc).",
  },
  "metrics-address": {
    default: "0.0.0.0:15090",
    help: "host:port of plain-HTTP /metrics, /healthz and /readyz, or off.",
  },
  "log-level": { default: "info", help: "One of trace, debug, info, warn, error." },
  check: {
    default: "",
    help: "Exit 0 if --identity-dir holds a key and a currently valid certificate, else 1 (a startupProbe).",
  },
} as const;

type FlagName = keyof typeof PROXY_FLAGS;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function serverRef(raw: string): ServerRef {
  const [namespace = "", name = "", extra] = raw.split("/");
  if (extra !== undefined || !DNS_LABEL.test(namespace) || !DNS_SUBDOMAIN.test(name))
    throw new Error(`must be <namespace>/<name> of an MCPServer, got "${raw}"`);
  return { namespace, name };
}

function groupList(raw: string): KeyExchangeGroup[] {
  const groups = raw.split(",").map((g) => g.trim());
  const unknown = groups.filter((g) => !(KEY_EXCHANGE_GROUPS as readonly string[]).includes(g));
  if (raw.trim() === "" || unknown.length > 0)
    throw new Error(
      `must list post-quantum TLS 1.3 groups among ${KEY_EXCHANGE_GROUPS.join(", ")}; not ${unknown.map((g) => `"${g}"`).join(", ") || "none"}`,
    );
  if (new Set(groups).size !== groups.length) throw new Error(`lists a group twice: "${raw}"`);
  return groups as KeyExchangeGroup[];
}

const loopbackOnly = (why: string) => (raw: string) => {
  const address = parseHostPort(raw);
  if (!isLoopback(address.host))
    throw new Error(`must be a loopback address (${why}), got "${formatHostPort(address)}"`);
  return address;
};

/**
 * Parses and checks the flags; throws one Error listing every problem, each naming its flag.
 *
 * @example
 * parseProxyFlags(["--listen=10.0.0.7:8443"]); // throws: --issuer: is required … --mcpserver: is required …
 */
export function parseProxyFlags(argv: readonly string[]): ProxyConfig {
  const options = Object.fromEntries(
    Object.keys(PROXY_FLAGS).map((name) => [
      name,
      name === "check"
        ? { type: "boolean" as const }
        : { type: "string" as const, multiple: name === "allow" },
    ]),
  ) as Record<FlagName, { type: "string" | "boolean"; multiple?: boolean }>;
  let values: Partial<Record<FlagName, string | boolean | (string | boolean)[]>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new Error(`latticeguard proxy: ${(error as Error).message}`, { cause: error });
  }
  const problems: string[] = [];
  const given = (name: FlagName) => values[name] !== undefined;
  const get = (name: FlagName) => (values[name] as string | undefined) ?? PROXY_FLAGS[name].default;
  const parse = <T>(name: FlagName, fn: (raw: string) => T, raw = get(name)): T => {
    try {
      return fn(raw);
    } catch (error) {
      problems.push(`--${name}: ${(error as Error).message}`);
      return undefined as T;
    }
  };
  const required = (example: string) => (raw: string) => {
    if (!raw) throw new Error(`is required, such as ${example}`);
    return raw;
  };
  const check = values.check === true;
  const identityDir = parse("identity-dir", absolutePath);
  const logLevel = parse("log-level", (raw) => {
    if (!LOG_LEVELS.includes(raw))
      throw new Error(`must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
    return raw;
  });
  const fail = () => new Error(`latticeguard proxy: invalid flags:\n  ${problems.join("\n  ")}`);
  if (check) {
    // A probe reads only --identity-dir; nothing is contacted or served.
    if (problems.length) throw fail();
    const none = { host: "", port: 0 };
    return {
      mode: "inbound",
      issuer: new URL("https://unused.invalid"),
      tokenFile: "",
      bundleFile: "",
      identityDir,
      algorithm: "ML-DSA-65",
      groups: [],
      listen: none,
      upstream: none,
      server: { namespace: "", name: "" },
      allow: [],
      metricsAddress: undefined,
      logLevel,
      check,
    };
  }
  const outbound = given("connect");
  const common = {
    issuer: parse("issuer", issuerUrl),
    tokenFile: parse("token-file", absolutePath),
    bundleFile: parse("bundle-file", absolutePath),
    identityDir,
    algorithm: parse("algorithm", (raw) => {
      if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(raw))
        throw new Error(`must be one of ${SIGNATURE_ALGORITHMS.join(", ")}, got "${raw}"`);
      return raw as SignatureAlgorithm;
    }),
    groups: parse("groups", groupList),
    metricsAddress: parse("metrics-address", (raw) =>
      raw === "off" ? undefined : parseHostPort(raw, { ipOnly: true }),
    ),
    logLevel,
    check,
  };
  const inboundOnly = (name: FlagName) => {
    if (outbound && given(name))
      problems.push(`--${name}: applies to inbound mode only, not with --connect`);
  };
  if (outbound) {
    for (const name of ["mcpserver", "allow"] as const) inboundOnly(name);
    const listen = parse("listen", (raw) =>
      loopbackOnly("the local plaintext port")(required("127.0.0.1:15001")(raw)),
    );
    const upstream = parse("upstream", (raw) =>
      parseHostPort(required("search.mcp.svc:8443")(raw)),
    );
    const server = parse("connect", serverRef);
    const serverName = parse("server-name", (raw) => {
      if (!raw) return server ? `${server.name}.${server.namespace}.svc` : "";
      if (!DNS_SUBDOMAIN.test(raw)) throw new Error(`must be a lowercase DNS name, got "${raw}"`);
      return raw;
    });
    if (problems.length) throw fail();
    return { mode: "outbound", ...common, listen, upstream, server, serverName };
  }
  if (given("server-name"))
    problems.push("--server-name: applies to outbound mode only (--connect)");
  const listen = parse("listen", (raw) =>
    parseHostPort(required("$(POD_IP):8443")(raw), { ipOnly: true }),
  );
  const upstream = parse("upstream", (raw) => {
    if (!raw && listen?.port === 0) throw new Error("is required when --listen has port 0");
    return loopbackOnly("plaintext stays in the pod")(raw || `127.0.0.1:${listen?.port ?? 0}`);
  });
  const server = parse("mcpserver", (raw) => serverRef(required("mcp/search")(raw)));
  const rules = (values.allow as string[] | undefined) ?? [];
  const allow: ClientRule[] = [];
  // `none` is an MCPServer's `spec.clients: []`: nobody may call. Alone, or it would mean two things.
  if (rules.includes(ALLOW_NONE) && rules.length > 1)
    problems.push(`\`--allow\` ${ALLOW_NONE} must be the only --allow`);
  for (const rule of rules.filter((r) => r !== ALLOW_NONE)) {
    try {
      allow.push(parseClientRule(rule, "--allow"));
    } catch (error) {
      problems.push((error as Error).message); // it names `--allow` and the value
    }
  }
  if (problems.length) throw fail();
  if (rules.length === 0) allow.push({ kind: "Namespace", namespace: server.namespace });
  return { mode: "inbound", ...common, listen, upstream, server, allow };
}

/**
 * The `--allow` value that admits nobody: what the webhook writes for an MCPServer with `spec.clients: []`
 * (no `--allow` at all means the MCPServer's own namespace).
 *
 * @example
 * parseProxyFlags([...inbound, `--allow=${ALLOW_NONE}`]).allow; // []
 */
export const ALLOW_NONE = "none";

/**
 * The `--help` text.
 *
 * @example
 * process.stdout.write(proxyHelp());
 */
export function proxyHelp(): string {
  const lines = Object.entries(PROXY_FLAGS).map(
    ([name, { default: d, help }]) =>
      `  --${name.padEnd(16)} ${help}${d && !help.includes("default") ? ` (default ${d})` : ""}`,
  );
  return (
    "Usage: latticeguard proxy --issuer=https://… --listen=$(POD_IP):<port> --mcpserver=<ns>/<name> [flags]\n" +
    "       latticeguard proxy --issuer=https://… --connect=<ns>/<name> --listen=127.0.0.1:<port> --upstream=<host>:<port> [flags]\n" +
    `\nFlags:\n${lines.join("\n")}\n`
  );
}

/**
 * The hand-written docs must keep up with the code and the chart: every metric LatticeGuard registers is
 * documented in `docs/metrics.md` with its real type and labels, no doc names a metric that does not exist,
 * every Event reason, issuance refusal, operator flag and alert has its row or section, chart values named
 * in the docs exist, and links resolve.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, posix } from "node:path";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CBOM_REFUSAL_STATUS } from "../operator/cbom/access.ts";
import { CBOM_FLAGS } from "../operator/cbom/flags.ts";
import { createCbomMetrics } from "../operator/cbom/metrics.ts";
import { OPERATOR_FLAGS } from "../operator/cli/flags.ts";
import { KubeConfig } from "@kubernetes/client-node";
import { apiEventRecorder } from "../operator/events.ts";
import { createIssuerMetrics } from "../operator/identity/issuer/metrics.ts";
import { REFUSAL_STATUS } from "../operator/identity/issuer/refusals.ts";
import { logger } from "../operator/log.ts";
import { createMetrics } from "../operator/metrics.ts";
import { createProxyMetrics } from "../operator/proxy/metrics.ts";
import { repoRoot } from "./tools.ts";

const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");
const metricsDoc = read("docs/metrics.md");

interface Registered {
  name: string;
  type: string;
  labels: string[];
}

/** The metrics of `registry`, as Prometheus sees them. */
async function registered(registry: Registry): Promise<Registered[]> {
  return (await registry.getMetricsAsJSON()).map(({ name, type }) => {
    const metric = registry.getSingleMetric(name) as unknown as { labelNames?: string[] };
    return { name, type: String(type), labels: [...(metric.labelNames ?? [])] };
  });
}

/** A KubeConfig for a server that is never called: the Event recorder needs one to register its metric. */
function unusedKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "unused", server: "https://127.0.0.1:1" }],
    users: [{ name: "unused" }],
    contexts: [{ name: "unused", cluster: "unused", user: "unused" }],
    currentContext: "unused",
  });
  return kc;
}

/** LatticeGuard's own metrics (`processMetrics`: prom-client's default set too), the proxy's included. */
async function latticeguardMetrics(processMetrics: boolean): Promise<Registered[]> {
  const { registry } = createMetrics({ processMetrics });
  createIssuerMetrics(registry);
  createCbomMetrics(registry);
  apiEventRecorder(unusedKubeConfig(), logger, { registry });
  // The proxy's registry labels every series with these three (default labels) before its own.
  const fixed = ["namespace", "mcpserver", "direction"];
  const proxy = createProxyMetrics(
    { namespace: "mcp", mcpserver: "search", direction: "inbound" },
    { processMetrics },
  );
  const proxied = (await registered(proxy.registry)).map((m) => ({
    ...m,
    labels: [...fixed, ...m.labels],
  }));
  return [...(await registered(registry)), ...proxied];
}

/** Every `name: "latticeguard_…"` in the program's sources: metrics registered anywhere. */
function metricNamesInSources(): string[] {
  const files = ["operator", "webhook"].flatMap((dir) =>
    readdirSync(join(repoRoot, dir), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .map((f) => `${dir}/${f}`),
  );
  return [
    ...new Set(
      files.flatMap((f) => [...read(f).matchAll(/name: "(latticeguard_\w+)"/g)].map((m) => m[1]!)),
    ),
  ];
}

/** The table row documenting `name`, or undefined. */
function rowOf(doc: string, name: string): string[] | undefined {
  const line = doc.split("\n").find((l) => l.startsWith(`| \`${name}\` `));
  return line
    ?.split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim());
}

/** Every `latticeguard_…` name in `text`, without the series suffixes of histograms. */
function mentionedMetrics(text: string): string[] {
  const names = text.match(/\blatticeguard_[a-z0-9_]*[a-z0-9]/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, "")))];
}

/** The string literals of the `EventReason` union in operator/events.ts. */
function eventReasons(): string[] {
  const union = /export type EventReason =([^;]+);/.exec(read("operator/events.ts"))?.[1] ?? "";
  return [...union.matchAll(/"(\w+)"/g)].map((m) => m[1]!);
}

describe("docs/metrics.md", () => {
  it("documents every registered metric with its type and labels", async () => {
    const metrics = await latticeguardMetrics(false);
    expect(metrics.length).toBeGreaterThan(15);
    for (const { name, type, labels } of metrics) {
      const row = rowOf(metricsDoc, name);
      expect(row, `a row for ${name}`).toBeDefined();
      expect(row![1], `${name}'s type`).toBe(type);
      const documented = [...row![2]!.matchAll(/`(\w+)`/g)].map((m) => m[1]);
      expect(documented, `${name}'s labels`).toEqual(labels);
    }
  });

  it("documents every metric the sources register, wherever they register it", () => {
    const names = metricNamesInSources();
    expect(names).toContain("latticeguard_kem_rotations_total");
    for (const name of names) expect(rowOf(metricsDoc, name), `a row for ${name}`).toBeDefined();
  });

  it("notices an undocumented metric", async () => {
    const registry = new Registry();
    createIssuerMetrics(registry);
    const [first] = await registered(registry);
    expect(rowOf(metricsDoc.replaceAll(first!.name, "latticeguard_renamed"), first!.name)).toBe(
      undefined,
    );
  });

  it.each(["docs/metrics.md", "docs/operations.md", "docs/security-model.md", "README.md"])(
    "%s names only metrics that exist",
    async (path) => {
      const known = (await latticeguardMetrics(true)).map((m) => m.name);
      // A prefix such as `latticeguard_kem` (in `grep latticeguard_kem`) is fine too.
      const exists = (n: string) => known.some((k) => k === n || k.startsWith(`${n}_`));
      const unknown = mentionedMetrics(read(path)).filter((n) => !exists(n));
      expect(unknown).toEqual([]);
    },
  );

  it("has a row for every Event reason", () => {
    const reasons = eventReasons();
    expect(reasons.length).toBeGreaterThan(8);
    for (const reason of reasons) expect(rowOf(metricsDoc, reason), reason).toBeDefined();
  });
});

/** Markdown without code blocks and code spans, where links and headings are not. */
const prose = (text: string) => text.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");

/** The heading anchors of a Markdown file, as GitHub makes them. */
function anchorsOf(path: string): Set<string> {
  const headings = [...prose(read(path)).matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!);
  return new Set(
    headings.map((h) =>
      h
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, "")
        .replace(/ /g, "-"),
    ),
  );
}

describe("links", () => {
  const docs = readdirSync(join(repoRoot, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`);
  it.each([...docs, "README.md"])("in %s lead to files and headings that exist", (file) => {
    const links = [...prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    for (const target of links.filter((t) => !/^https?:/.test(t))) {
      const [path, anchor] = target.split("#");
      const linked = path ? posix.normalize(posix.join(posix.dirname(file), path)) : file;
      expect(existsSync(join(repoRoot, linked)), `${file} links to ${target}`).toBe(true);
      if (anchor) expect(anchorsOf(linked), `${file} links to ${target}`).toContain(anchor);
    }
  });

  it("notice a heading that is gone", () => {
    expect(anchorsOf("docs/operations.md")).toContain("latticeguardnoleader");
    expect(anchorsOf("docs/operations.md")).not.toContain("latticeguardnoleaders");
  });
});

interface AlertRule {
  alert: string;
  expr: string;
  labels: { severity: string };
  annotations: { runbook_url: string };
}

const alerts = (
  parse(read("charts/latticeguard/files/prometheus-rules.yaml")) as {
    groups: { rules: AlertRule[] }[];
  }
).groups.flatMap((g) => g.rules);
const operationsDoc = read("docs/operations.md");
const squash = (text: string) => text.replace(/\s+/g, " ").trim();

describe("alerts", () => {
  it("are the eleven the chart promises", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      "LatticeGuardIdentityIssuanceFailing",
      "LatticeGuardKEMRotationOverdue",
      "LatticeGuardNoLeader",
      "LatticeGuardProxyIdentityExpiring",
      "LatticeGuardProxyRefusedPeersSpike",
      "LatticeGuardReconcileErrors",
      "LatticeGuardShadowMCPServers",
      "LatticeGuardTransportUnverified",
      "LatticeGuardTrustAnchorExpiringSoon",
      "LatticeGuardWebhookErrorsHigh",
      "LatticeGuardWebhookLatencyHigh",
    ]);
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    "%s has a runbook section, its real expression, and a row in docs/metrics.md",
    (name, rule) => {
      const anchor = name.toLowerCase();
      expect(rule.annotations.runbook_url).toMatch(new RegExp(`/docs/operations\\.md#${anchor}$`));
      const start = operationsDoc.indexOf(`\n## ${name}\n`);
      expect(start, `## ${name}`).toBeGreaterThan(0);
      const end = operationsDoc.indexOf("\n## ", start + 1);
      const section = operationsDoc.slice(start, end < 0 ? undefined : end);
      expect(squash(section)).toContain(squash(rule.expr));
      const link = `| [${name}](operations.md#${anchor}) `;
      const row = metricsDoc.split("\n").find((l) => l.startsWith(link));
      expect(row, `a row for ${name} in docs/metrics.md`).toBeDefined();
      expect(row).toContain(`| ${rule.labels.severity} `);
    },
  );
});

describe("docs/security-model.md", () => {
  it("lists every issuance refusal with its HTTP status", () => {
    const doc = read("docs/security-model.md");
    for (const [reason, status] of Object.entries(REFUSAL_STATUS)) {
      const row = doc
        .split("\n")
        .find((l) => l.startsWith(`| ${status} `) && l.includes(`\`${reason}\``));
      expect(row, `${status} ${reason}`).toBeDefined();
    }
  });
});

describe("docs/security-model.md, the CBOM", () => {
  it("lists every refusal of GET /v1/cbom with its HTTP status", () => {
    const section = read("docs/security-model.md").split("## The CBOM")[1]!.split("\n## ")[0]!;
    for (const [reason, status] of Object.entries(CBOM_REFUSAL_STATUS)) {
      const row = section
        .split("\n")
        .find((l) => l.startsWith(`| ${status} `) && l.includes(`\`${reason}\``));
      expect(row, `${status} ${reason}`).toBeDefined();
    }
  });
});

describe("docs/operations.md", () => {
  it("lists every latticeguard cbom flag with its default, in its own section", () => {
    const section = operationsDoc.split("## Reading the CBOM")[1]!.split("\n## ")[0]!;
    for (const [flag, { default: value }] of Object.entries(CBOM_FLAGS)) {
      const row = rowOf(section, `--${flag}`);
      expect(row, `--${flag}`).toBeDefined();
      expect(row![1], `--${flag}'s default`).toBe(value ? `\`${value}\`` : "");
    }
  });

  it("lists every operator flag with its default", () => {
    for (const [flag, { default: value }] of Object.entries(OPERATOR_FLAGS)) {
      const row = rowOf(operationsDoc, `--${flag}`);
      expect(row, `--${flag}`).toBeDefined();
      expect(row![1], `--${flag}'s default`).toBe(value ? `\`${value}\`` : "");
    }
  });

  it("names only chart values that exist, with their defaults", () => {
    const values = parse(read("charts/latticeguard/values.yaml")) as Record<string, unknown>;
    const valueOf = (path: string) =>
      path
        .split(".")
        .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], values);
    const table = operationsDoc.split("## Install")[1]!.split("\n## ")[0]!;
    const rows = table
      .split("\n")
      .map((l) => l.split("|").map((c) => c.trim()))
      .filter((cells) => /^`[a-zA-Z.]+`/.test(cells[1] ?? ""));
    expect(rows.length).toBeGreaterThan(10);
    for (const [, names, defaults] of rows) {
      const paths = [...names!.matchAll(/`([a-zA-Z.]+)`/g)].map((m) => m[1]!);
      for (const path of paths) expect(valueOf(path), path).toBeDefined();
      // Where every default is one code span per value, each must be the value's default.
      const shown = defaults!.split(", ");
      if (shown.length !== paths.length || !shown.every((d) => /^`[^`]*`$/.test(d))) continue;
      paths.forEach((path, i) => {
        const value = valueOf(path);
        const text = Array.isArray(value) ? JSON.stringify(value) : String(value);
        expect(shown[i], path).toBe(`\`${text}\``);
      });
    }
  });
});

const dashboard = () =>
  JSON.parse(read("charts/latticeguard/files/grafana-dashboard.json")) as {
    panels: { type: string; title: string }[];
  };

describe("the Grafana dashboard", () => {
  // What each file queries, without its comments (which may name a family, `latticeguard_proxy_*`).
  const queried: [string, () => string][] = [
    ["the dashboard's panels and variables", () => JSON.stringify(dashboard())],
    ["the alerts' expressions and descriptions", () => JSON.stringify(alerts)],
    [
      "the alerts' test series",
      () =>
        JSON.stringify(
          (
            parse(read("charts/latticeguard/files/prometheus-rules.test.yaml")) as {
              tests: { input_series: { series: string }[] }[];
            }
          ).tests.flatMap((t) => t.input_series),
        ),
    ],
  ];
  it.each(queried)("and %s name only metrics that exist", async (_, text) => {
    const known = new Set((await latticeguardMetrics(true)).map((m) => m.name));
    const mentioned = mentionedMetrics(text());
    expect(mentioned).toContain("latticeguard_proxy_refused_total");
    expect(mentioned.filter((n) => !known.has(n))).toEqual([]);
  });

  it("has every panel described in docs/metrics.md, under its row", () => {
    let row = "";
    const panels = dashboard().panels.flatMap((p) => {
      if (p.type === "row") row = p.title;
      return p.type === "row" ? [] : [[row, p.title]];
    });
    expect(panels.length).toBeGreaterThan(10);
    const section = metricsDoc.split("## Grafana dashboard")[1] ?? "";
    const rows = section.split("\n").map((l) => l.split("|").map((c) => c.trim()));
    for (const [rowTitle, title] of panels)
      expect(
        rows.some((r) => r[1] === rowTitle && r[2] === title),
        `${rowTitle} / ${title}`,
      ).toBe(true);
  });
});

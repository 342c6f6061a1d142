/**
 * The chart's CRD templates, rendered by the real helm in a scratch chart.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { CHART_LABEL_KEYS, chartCrdTemplate, escapeTemplateText } from "./chart-crds.ts";
import { clientTools } from "./tools.ts";

const run = promisify(execFile);

const crd = (metadata: object, spec: object = { group: "latticeguard.dev" }) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.latticeguard.dev", ...metadata },
  spec,
});

/**
 * Renders `template` with the real helm, in a scratch chart whose labels helper writes one label,
 * `helm.sh/chart: x`; resolves with the object, or null when nothing is rendered.
 */
async function render(template: string, values: { enabled: boolean; keep: boolean }) {
  const dir = await mkdtemp(join(tmpdir(), "latticeguard-chart-crds-"));
  try {
    await mkdir(join(dir, "templates"));
    await writeFile(join(dir, "Chart.yaml"), "apiVersion: v2\nname: t\nversion: 0.1.0\n");
    await writeFile(join(dir, "values.yaml"), "crds: { enabled: true, keep: true }\n");
    await writeFile(
      join(dir, "templates/_helpers.tpl"),
      '{{- define "latticeguard.labels" -}}\nhelm.sh/chart: x\n{{- end }}\n',
    );
    await writeFile(join(dir, "templates/crd.yaml"), template);
    const { helm } = await clientTools();
    const set = `crds.enabled=${values.enabled},crds.keep=${values.keep}`;
    const { stdout } = await run(helm, ["template", "t", dir, "--set", set]);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as unknown);
    return docs.find((d) => d !== null) ?? null;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("escapeTemplateText", () => {
  it.each([
    ["no braces", "no braces"],
    ["a {{ b }}", 'a {{ "{{" }} b }}'],
    ["{{{{", '{{ "{{" }}{{ "{{" }}'],
    ["}} alone", "}} alone"],
  ])("%j becomes %j", (text, escaped) => {
    expect(escapeTemplateText(text)).toBe(escaped);
  });
});

describe("chartCrdTemplate", () => {
  it.each([
    ["enabled and kept", { enabled: true, keep: true }, { "helm.sh/resource-policy": "keep" }],
    ["enabled, not kept", { enabled: true, keep: false }, undefined],
  ])("renders the CRD when %s", async (_, values, annotations) => {
    const rendered = (await render(chartCrdTemplate(crd({}), "Generated."), values)) as {
      metadata: { annotations?: object; labels: object };
      spec: object;
    };
    expect(rendered.spec).toEqual({ group: "latticeguard.dev" });
    expect(rendered.metadata.annotations).toEqual(annotations);
    expect(rendered.metadata.labels).toEqual({ "helm.sh/chart": "x" });
  });

  it("renders nothing when disabled", async () => {
    const template = chartCrdTemplate(crd({}), "Generated.");
    expect(await render(template, { enabled: false, keep: true })).toBeNull();
  });

  it("leaves the chart's own label keys to its helper and keeps the others", async () => {
    const labels = Object.fromEntries(CHART_LABEL_KEYS.map((k) => [k, "crd"]));
    const template = chartCrdTemplate(crd({ labels: { ...labels, tier: "api" } }), "Generated.");
    const rendered = (await render(template, { enabled: true, keep: false })) as {
      metadata: { labels: object };
    };
    expect(rendered.metadata.labels).toEqual({ "helm.sh/chart": "x", tier: "api" });
  });

  it("keeps the CRD's annotations beside the keep annotation", async () => {
    const template = chartCrdTemplate(crd({ annotations: { note: "a: b" } }), "Generated.");
    for (const [keep, annotations] of [
      [true, { note: "a: b", "helm.sh/resource-policy": "keep" }],
      [false, { note: "a: b" }],
    ] as const) {
      const rendered = (await render(template, { enabled: true, keep })) as {
        metadata: { annotations: object };
      };
      expect(rendered.metadata.annotations).toEqual(annotations);
    }
  });

  it("makes template braces in the schema literal", async () => {
    const spec = { description: "use {{ .name }} and {{- x }}" };
    const template = chartCrdTemplate(crd({}, spec), "Generated.");
    expect(template).not.toContain("{{ .name");
    expect(await render(template, { enabled: true, keep: true })).toMatchObject({ spec });
  });

  it("keeps the banner a template comment", () => {
    const template = chartCrdTemplate(crd({}), "From operator/api/*.schema.ts */ not an end.");
    expect(template.split("\n")[0]).toBe(
      "{{- /* From operator/api/*.schema.ts * / not an end. */}}",
    );
  });

  it.each([
    [{ ...crd({}), kind: "Deployment" }, "`crd` must be an apiextensions.k8s.io/v1"],
    [{ ...crd({}), metadata: {} }, "`crd.metadata.name` must be set"],
    [crd({ namespace: "x" }), "`crd.metadata` may hold only name, labels and annotations"],
  ])("refuses %j", (object, message) => {
    expect(() => chartCrdTemplate(object, "Generated.")).toThrow(message);
  });
});

/**
 * A real Prometheus (Debian's `prometheus` package, installed by `hack/install-prometheus.sh`) scraping
 * LatticeGuard on loopback every second, for tests that read the operator's metrics the way users do.
 *
 * @example
 * const prometheus = await startPrometheus([`127.0.0.1:${operator.port}`]);
 * await prometheus.query("sum(latticeguard_kem_rotations_total)"); // 3
 * await prometheus.samples("latticeguard_leader"); // [{ labels: { instance, job, … }, value: 1 }, …]
 * await prometheus.stop();
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort, ManagedProcess } from "../../hack/process.ts";

/** A running Prometheus. */
export interface RunningPrometheus {
  url: string;
  /** The value of an instant query that returns one sample; undefined while it returns none. */
  query(expr: string): Promise<number | undefined>;
  /** Every sample of an instant query: its labels and value. */
  samples(expr: string): Promise<{ labels: Record<string, string>; value: number }[]>;
  /** Whether every target is up (scraped successfully at least once). */
  targetsUp(): Promise<boolean>;
  stop(): Promise<void>;
}

interface QueryAnswer {
  status: string;
  error?: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; value: [number, string] }[];
  };
}

/** Starts Prometheus with one scrape job, `latticeguard`, over `targets` (`host:port`). */
export async function startPrometheus(targets: string[]): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), "latticeguard-prometheus-"));
  const port = await freePort();
  const config = {
    global: { scrape_interval: "1s", evaluation_interval: "1s" },
    scrape_configs: [{ job_name: "latticeguard", static_configs: [{ targets }] }],
  };
  await writeFile(join(dir, "prometheus.yml"), stringify(config));
  const process = new ManagedProcess(
    "prometheus",
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    join(dir, "prometheus.log"),
  );
  await process.start();
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await process.stop();
    await rm(dir, { recursive: true, force: true });
  };
  for (let ready = false, tries = 0; !ready; tries++) {
    if (tries === 100) {
      await stop();
      throw new Error("Prometheus did not become ready within 20 s");
    }
    process.assertRunning();
    ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 200));
  }
  const instant = async (expr: string) => {
    const answer = (await (
      await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)
    ).json()) as QueryAnswer;
    if (answer.status !== "success") throw new Error(`query ${expr} failed: ${answer.error}`);
    return answer.data?.result ?? [];
  };
  return {
    url,
    async query(expr) {
      const [sample, ...more] = await instant(expr);
      if (more.length > 0) throw new Error(`query ${expr} returned ${more.length + 1} series`);
      return sample && Number(sample.value[1]);
    },
    async samples(expr) {
      return (await instant(expr)).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    },
    async targetsUp() {
      const answer = (await (await fetch(`${url}/api/v1/targets`)).json()) as {
        data: { activeTargets: { health: string }[] };
      };
      const active = answer.data.activeTargets;
      return active.length === targets.length && active.every((t) => t.health === "up");
    },
    stop,
  };
}

import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure logic, beside the code, no cluster) and `integration` (test/integration/,
// against a real kube-apiserver and etcd started once by the global setup).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["operator/**/*.test.ts", "webhook/**/*.test.ts", "hack/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One API server serves every file; two workers keep a 2-core machine busy without starving it.
          maxWorkers: 2,
        },
      },
    ],
  },
});

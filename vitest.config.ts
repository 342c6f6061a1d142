import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure logic, beside the code, no cluster) and `integration` (test/integration/,
// against a real kube-apiserver and etcd started once by the global setup).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "operator/**/*.test.ts",
            "webhook/**/*.test.ts",
            "hack/**/*.test.ts",
            "test/e2e/**/*.test.ts",
            "bench/**/*.test.ts",
          ],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One API server serves every file, and operators under test act cluster-wide (CryptoPolicies
          // are cluster-scoped): files run one at a time so no two operators reconcile the same objects.
          fileParallelism: false,
        },
      },
    ],
  },
});

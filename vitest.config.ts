import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests that start servers, browsers or brokers need room; none may hang CI.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Prints, at the end, one line per Debian package whose tests were skipped (test/support/requires.ts).
    globalSetup: ["test/support/skip-summary.ts"],
  },
});

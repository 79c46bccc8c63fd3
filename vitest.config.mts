import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Kernel differential tests load BPF programs into the one running kernel: keep files serial.
    fileParallelism: false,
  },
})

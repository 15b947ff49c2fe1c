import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * The URL of a worker entry beside `base` (a module's `import.meta.url`): its `.ts` source under
 * the TypeScript loader (tests, benchmarks), its `.js` build otherwise.
 */
export function workerUrl(base: string, name: string): URL {
  return new URL(base.endsWith(".ts") ? `./${name}.ts` : `./${name}.js`, base);
}

/** Starts a worker thread; under the TypeScript loader (which workers do not inherit) through tsx's API. */
export function startWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (!url.pathname.endsWith(".ts")) return new Worker(url, options);
  const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

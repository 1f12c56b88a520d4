/**
 * The life of a benchmark script: progress lines on stderr (stdout holds the results), and what it
 * created removed at the end, also after a failure or Ctrl-C.
 */
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;

export const log = (text: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);

/** Registers a removal; they run last registered first. */
export function atCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => console.error(`cleanup failed (remove by hand): ${String(err)}`));
    }
  })();
  return cleaning;
}

/** Runs `main`, cleans up, exits 0 (or 1 with the error, 130 on a signal). */
export function runBenchmark(main: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: removing what the benchmark created`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
  void main()
    .then(
      () => 0,
      (err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        return 1;
      },
    )
    .then(async (code) => {
      await cleanupAll();
      process.exit(code);
    });
}

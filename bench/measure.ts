/**
 * Timing helpers for the benchmarks. Cases that are compared are measured interleaved, one
 * run of each per round, so that a noisy machine slows them alike.
 */

/** One thing to time: `batch` operations per run. */
export interface BenchCase {
  readonly batch: number;
  readonly operation: (i: number) => void;
}

/**
 * Median milliseconds per run for each case, after one warm-up run each; the cases take turns.
 * @example const [a, b] = interleavedMedians(5, [caseA, caseB]);
 */
export function interleavedMedians(runs: number, cases: readonly BenchCase[]): number[] {
  const times = cases.map(() => [] as number[]);
  for (let round = -1; round < runs; round++) {
    cases.forEach((c, k) => {
      const start = performance.now();
      for (let i = 0; i < c.batch; i++) c.operation(i);
      if (round >= 0) times[k]!.push(performance.now() - start);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

/** Operations per second from a case's median run time. */
export function rate(c: BenchCase, medianMs: number): number {
  return (c.batch * 1000) / medianMs;
}

/** Prints rows of [label, value, note] as an aligned table. */
export function printTable(title: string, rows: Array<[string, string, string]>): void {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [label, value, note] of rows) console.log(`  ${label.padEnd(width)}  ${value.padStart(10)}  ${note}`);
}

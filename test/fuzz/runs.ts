/**
 * How many cases each property runs. `npm test` runs the base counts (bounded: a few seconds per file);
 * `npm run fuzz` sets FUZZ_RUNS (a multiplier, default 50 there). FUZZ_SEED replays a failing run: fast-check
 * prints the seed and the path of the shrunk counterexample.
 */
import fc, { type IAsyncProperty, type IProperty, type Parameters } from 'fast-check';

const scale = (() => {
  const n = Number(process.env.FUZZ_RUNS ?? '1');
  return Number.isFinite(n) && n > 0 ? n : 1;
})();

/** True under `npm run fuzz`: the long run may also try the expensive shapes (megabyte bodies) more often. */
export const longRun = scale > 1;

export function runs<T>(base: number, extra: Parameters<T> = {}): Parameters<T> {
  const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : undefined;
  return { numRuns: Math.max(1, Math.round(base * scale)), ...(seed !== undefined && Number.isFinite(seed) ? { seed } : {}), ...extra };
}

/**
 * `fc.assert` with the failure report cut to a readable size: a counterexample holding a megabyte string would
 * otherwise flood the test output (the seed and path to replay it stay at the top).
 */
export async function check<T>(property: IAsyncProperty<T> | IProperty<T>, params: Parameters<T>): Promise<void> {
  try {
    await fc.assert(property, params);
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? `\nCause: ${e.cause.message}` : '';
    const message = (e instanceof Error ? e.message : String(e)) + cause;
    if (message.length <= 4000) {
      if (e instanceof Error && cause) e.message = message;
      throw e;
    }
    const cut = new Error(`${message.slice(0, 3000)}\n… (${message.length - 3500} characters cut) …\n${message.slice(-500)}`);
    cut.stack = cut.message;
    throw cut;
  }
}

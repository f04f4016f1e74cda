/**
 * Polls `probe` until it returns a truthy value or the deadline passes: waiting for a condition,
 * never a fixed delay standing in for one. Rejects naming `what` and the last value seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | false | null | undefined> | T | false | null | undefined,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 20;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : String(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Resolves with the promise's value, or rejects once `ms` have passed without one. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

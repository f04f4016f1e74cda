import { Client } from 'pg';

/**
 * Every query any pg client of this process sends from now on, handed to `seen` (its text and values) before
 * it goes; the returned function stops that.
 */
export function watchSentQueries(seen: (text: string, values: unknown[] | undefined) => void): () => void {
  const original = Client.prototype.query;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string; values?: unknown[] } | undefined;
    if (typeof config === 'string') seen(config, args[1] as unknown[] | undefined);
    else seen(config?.text ?? '', config?.values);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
  return () => {
    Client.prototype.query = original;
  };
}

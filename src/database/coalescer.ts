/**
 * A statement PostgreSQL refused for one of its rows (pg's DatabaseError of class 22, data exception, or 23,
 * integrity constraint violation: a duplicate key, a thread deleted meanwhile): nothing of it was written, and
 * each of its writes alone may well succeed. A statement cancelled (its timeout), or refused for the server's
 * own state, would fail alone as well: no reason to send its writes again.
 */
const refusedForARow = (error: unknown): boolean => {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  return error instanceof Error && typeof severity === 'string' && typeof code === 'string' && /^2[23]/.test(code);
};

/**
 * The limits the repositories' coalesced inserts share: two statements in flight (one waits for its commit
 * while the next fills), up to 100 requests or about 1 MiB of values in one.
 */
export const INSERT_COALESCING = { concurrency: 2, maxBatch: 100, maxSize: 1024 * 1024 } as const;

interface Waiting<In, Out> {
  input: In;
  resolve(output: Out): void;
  reject(error: unknown): void;
}

export interface CoalescerOptions<In, Out> {
  /** How many statements may be in flight at once; what arrives beyond them waits. */
  concurrency: number;
  /** The most inputs one statement takes. */
  maxBatch: number;
  /** The most one statement takes by `sizeOf` (an input larger than that goes alone). */
  maxSize: number;
  sizeOf(input: In): number;
  /** One input alone: the statement as it is sent without coalescing. */
  one(input: In): Promise<Out>;
  /** Several inputs in one statement, all or nothing: their outputs in the same order. */
  many(inputs: In[]): Promise<Out[]>;
}

/**
 * Writes of one kind sent together: while `concurrency` statements are in flight, the writes that
 * arrive wait, and once one is answered those waiting go as one statement (no timer: a write waits at
 * most for one statement in flight to be answered). Under load, one round trip and one commit serve
 * many requests; alone, a write is sent at once as it would be without this. Each write is answered
 * only once its statement has committed. A statement PostgreSQL refused for one of its rows wrote
 * nothing: its writes are then sent one after the other, in their order, so that one write's error is
 * not another's. Any other error (a connection lost, a statement unanswered or cancelled) is every
 * write's error, as it would be for a write alone.
 */
export class Coalescer<In, Out> {
  private readonly waiting: Waiting<In, Out>[] = [];
  private inFlight = 0;

  constructor(private readonly options: CoalescerOptions<In, Out>) {}

  run(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.inFlight < this.options.concurrency && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.batchLength());
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.dispatch();
      });
    }
  }

  /** How many of the first waiting inputs the next statement takes (at least one). */
  private batchLength(): number {
    const { maxBatch, maxSize, sizeOf } = this.options;
    let size = sizeOf(this.waiting[0].input);
    let n = 1;
    while (n < this.waiting.length && n < maxBatch) {
      size += sizeOf(this.waiting[n].input);
      if (size > maxSize) break;
      n++;
    }
    return n;
  }

  private async send(batch: Waiting<In, Out>[]): Promise<void> {
    if (batch.length === 1) return this.alone(batch[0]);
    let outputs: Out[];
    try {
      outputs = await this.options.many(batch.map((w) => w.input));
    } catch (error) {
      if (!refusedForARow(error)) return batch.forEach((w) => w.reject(error));
      for (const w of batch) await this.alone(w);
      return;
    }
    batch.forEach((w, i) => w.resolve(outputs[i]));
  }

  private async alone(w: Waiting<In, Out>): Promise<void> {
    try {
      w.resolve(await this.options.one(w.input));
    } catch (error) {
      w.reject(error);
    }
  }
}

import { writeSync } from 'node:fs';

/** Every byte, through partial writes and a full non-blocking pipe (EAGAIN). */
function writeAllSync(fd: number, bytes: Buffer): void {
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

/** Where gathered lines go: a stream that writes asynchronously and can be flushed synchronously (pino's SonicBoom). */
export interface LineSink {
  write(text: string): unknown;
  flushSync(): void;
}

/**
 * Log lines gathered and handed on together: once `batchChars` have gathered, or `maxDelayMs` after
 * the first of them, whichever comes first. A line costs an array push; a quiet service's lines
 * still appear within `maxDelayMs`. At exit, what is gathered is written synchronously, after what
 * the sink still holds.
 */
export class GatheredLines {
  private pending: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: LineSink,
    private readonly fd: number,
    private readonly batchChars = 4096,
    private readonly maxDelayMs = 100,
  ) {}

  write(line: string): void {
    this.pending.push(line);
    this.chars += line.length;
    if (this.chars >= this.batchChars) this.flush();
    else this.timer ??= setTimeout(this.flush, this.maxDelayMs).unref();
  }

  readonly flush = (): void => {
    const text = this.take();
    if (text !== undefined) this.sink.write(text);
  };

  /** The process is exiting: no event loop any more to write asynchronously. */
  flushSync(): void {
    try {
      this.sink.flushSync();
    } catch {
      // A sink that cannot be flushed (closed, broken pipe): the lines gathered here still go out.
    }
    const text = this.take();
    if (text !== undefined) writeAllSync(this.fd, Buffer.from(text, 'utf8'));
  }

  private take(): string | undefined {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return undefined;
    const text = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.chars = 0;
    return text;
  }
}

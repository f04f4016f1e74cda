import { Output } from './cli-support';

export type Outcome = 'imported' | 'skipped' | 'failed';

const BAR_WIDTH = 24;
/** The bar is redrawn at most this often: a fast import of small threads would otherwise spend its time drawing. */
const REDRAW_MS = 100;

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * The progress of an import, thread by thread. On a terminal (`io.status`), a bar on the last line of
 * stderr, redrawn in place, with any other line printed above it; otherwise plain lines on stderr, one
 * every `every` threads and one for each thread that fails.
 */
export class Progress {
  private imported = 0;
  private skipped = 0;
  private failed = 0;
  private messages = 0;
  private found = 0;
  private total: number | undefined;
  private drawnAt = -Infinity;
  private shown = false;

  constructor(
    private readonly io: Output,
    private readonly every = 10,
    private readonly now: () => number = Date.now,
  ) {}

  /** All the threads to import are known: `total` of them. */
  setTotal(total: number): void {
    this.total = total;
    this.draw(true);
  }

  /** One more thread found by a listing still under way. */
  foundOne(): void {
    this.found++;
    this.draw(false);
  }

  /** A thread done: imported, skipped (already there), or failed (`line` says why). */
  thread(outcome: Outcome, messages: number, line?: string): void {
    if (outcome === 'imported') this.imported++;
    else if (outcome === 'skipped') this.skipped++;
    else this.failed++;
    this.messages += messages;
    if (line !== undefined) this.line(line);
    const done = this.done();
    if (this.io.status) this.draw(done === this.total);
    else if (done % this.every === 0) this.io.err(this.text());
  }

  /** A line of its own (above the bar on a terminal). */
  line(text: string): void {
    if (this.shown) this.io.status?.('');
    this.io.err(text);
    if (this.shown) this.draw(true);
  }

  /** Erases the bar (the summary follows); without a terminal, the last count if its line was not printed. */
  finish(): void {
    if (this.io.status) {
      if (this.shown) this.io.status('');
      this.shown = false;
    } else if (this.done() % this.every !== 0) this.io.err(this.text());
  }

  private done(): number {
    return this.imported + this.skipped + this.failed;
  }

  /** `45/120 thread(s) (40 imported, 3 already there, 2 failed), 3,200 message(s)`; `45/50+` while a listing goes on. */
  text(): string {
    const of = this.total !== undefined ? count(this.total) : `${count(this.found)}+`;
    return (
      `${count(this.done())}/${of} thread(s) (${count(this.imported)} imported, ${count(this.skipped)} already there, ` +
      `${count(this.failed)} failed), ${count(this.messages)} message(s)`
    );
  }

  /** `[#########---------------] 45/120 thread(s) ...`; the bar stays empty while the total is unknown. */
  bar(): string {
    const filled = this.total ? Math.min(BAR_WIDTH, Math.floor((this.done() / this.total) * BAR_WIDTH)) : 0;
    return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${this.text()}`;
  }

  private draw(force: boolean): void {
    if (!this.io.status) return;
    const now = this.now();
    if (!force && now - this.drawnAt < REDRAW_MS) return;
    this.drawnAt = now;
    this.shown = true;
    this.io.status(this.bar());
  }
}

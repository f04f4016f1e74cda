import { Output } from './cli-support';
import { Progress } from './progress';

/** What a terminal shows: printed lines, and the status line at the bottom. */
function terminal() {
  const lines: string[] = [];
  const statuses: string[] = [];
  const io: Required<Output> = {
    out: (text) => lines.push(text),
    err: (text) => lines.push(text),
    status: (text) => statuses.push(text),
  };
  return { io, lines, statuses };
}

describe('Progress', () => {
  it('on a terminal: a bar redrawn in place, lines above it, erased at the end', () => {
    const { io, lines, statuses } = terminal();
    let now = 0;
    const progress = new Progress(io, 10, () => now);
    progress.setTotal(4);
    expect(statuses.pop()).toBe('[------------------------] 0/4 thread(s) (0 imported, 0 already there, 0 failed), 0 message(s)');
    now += 500;
    progress.thread('imported', 1200);
    expect(statuses.pop()).toBe('[######------------------] 1/4 thread(s) (1 imported, 0 already there, 0 failed), 1,200 message(s)');
    // Within the redraw interval, no redraw.
    progress.thread('skipped', 0);
    expect(statuses).toEqual([]);
    progress.thread('failed', 0, 'failed thread_x: not found at the source');
    // The bar erased, the line printed, the bar drawn again.
    expect(lines).toEqual(['failed thread_x: not found at the source']);
    expect(statuses.splice(0)).toEqual(['', '[##################------] 3/4 thread(s) (1 imported, 1 already there, 1 failed), 1,200 message(s)']);
    progress.thread('imported', 3);
    expect(statuses.pop()).toBe('[########################] 4/4 thread(s) (2 imported, 1 already there, 1 failed), 1,203 message(s)');
    progress.finish();
    expect(statuses.pop()).toBe('');
    expect(lines).toHaveLength(1);
  });

  it('while a listing goes on, counts what it found so far', () => {
    const { io, statuses } = terminal();
    const progress = new Progress(io, 10, () => 0);
    progress.foundOne();
    progress.foundOne();
    expect(statuses.pop()).toBe('[------------------------] 0/1+ thread(s) (0 imported, 0 already there, 0 failed), 0 message(s)');
  });

  it('without a terminal: a line every N threads, failures as they come, the last count at the end', () => {
    const lines: string[] = [];
    const progress = new Progress({ out: () => undefined, err: (text) => lines.push(text) }, 2);
    progress.setTotal(5);
    progress.foundOne();
    progress.thread('imported', 2);
    progress.thread('failed', 0, 'failed thread_y: the source answered 500 boom (5 retries)');
    progress.thread('skipped', 0);
    progress.finish();
    expect(lines).toEqual([
      'failed thread_y: the source answered 500 boom (5 retries)',
      '2/5 thread(s) (1 imported, 0 already there, 1 failed), 2 message(s)',
      '3/5 thread(s) (1 imported, 1 already there, 1 failed), 2 message(s)',
    ]);
  });
});

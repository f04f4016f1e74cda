import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatheredLines, LineSink } from './log-lines';

/** A sink that records what it is handed, and what its synchronous flush wrote to the file. */
class RecordingSink implements LineSink {
  readonly written: string[] = [];
  flushed = 0;
  constructor(private readonly onFlush: () => void = () => undefined) {}
  write(text: string): boolean {
    this.written.push(text);
    return true;
  }
  flushSync(): void {
    this.flushed++;
    this.onFlush();
  }
}

describe('GatheredLines', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('hands lines on together once the batch is full, in order', () => {
    const sink = new RecordingSink();
    const lines = new GatheredLines(sink, -1, 30, 100);
    lines.write('first line\n');
    lines.write('second line\n');
    expect(sink.written).toEqual([]);
    lines.write('third line\n');
    expect(sink.written).toEqual(['first line\nsecond line\nthird line\n']);
  });

  it('hands a lone line on after the delay, not before', () => {
    const sink = new RecordingSink();
    const lines = new GatheredLines(sink, -1, 4096, 100);
    lines.write('quiet service\n');
    jest.advanceTimersByTime(99);
    expect(sink.written).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sink.written).toEqual(['quiet service\n']);
    jest.advanceTimersByTime(1000);
    expect(sink.written).toHaveLength(1);
  });

  it('counts the delay from the first line of a batch, and starts again after a full batch', () => {
    const sink = new RecordingSink();
    const lines = new GatheredLines(sink, -1, 20, 100);
    lines.write('a\n');
    jest.advanceTimersByTime(60);
    lines.write('b\n');
    jest.advanceTimersByTime(40);
    expect(sink.written).toEqual(['a\nb\n']);
    lines.write('a full batch by itself\n');
    expect(sink.written).toEqual(['a\nb\n', 'a full batch by itself\n']);
    lines.write('c\n');
    jest.advanceTimersByTime(100);
    expect(sink.written).toEqual(['a\nb\n', 'a full batch by itself\n', 'c\n']);
  });

  it('at exit, flushes the sink first and then writes what it gathered, synchronously', () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-lines-'));
    const path = join(dir, 'out.log');
    const fd = openSync(path, 'w');
    try {
      const order: string[] = [];
      const sink = new RecordingSink(() => order.push('sink flushed'));
      const lines = new GatheredLines(sink, fd, 4096, 100);
      lines.write('{"msg":"one"}\n');
      lines.write('{"msg":"two é"}\n');
      lines.flushSync();
      order.push('lines written');
      expect(order).toEqual(['sink flushed', 'lines written']);
      expect(readFileSync(path, 'utf8')).toBe('{"msg":"one"}\n{"msg":"two é"}\n');
      expect(sink.written).toEqual([]);
      jest.advanceTimersByTime(1000);
      expect(sink.written).toEqual([]);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes what it gathered at exit even when the sink cannot be flushed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-lines-'));
    const path = join(dir, 'out.log');
    const fd = openSync(path, 'w');
    try {
      const lines = new GatheredLines(
        new RecordingSink(() => {
          throw new Error('destroyed');
        }),
        fd,
      );
      lines.write('last words\n');
      lines.flushSync();
      expect(readFileSync(path, 'utf8')).toBe('last words\n');
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

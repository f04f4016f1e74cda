import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesOf } from './cli-support';

describe('linesOf', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'lines-of-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const lines = async (content: string | Buffer) => {
    const file = join(dir, 'f.txt');
    writeFileSync(file, content);
    const result: string[] = [];
    for await (const line of linesOf(file)) result.push(line);
    return result;
  };

  it('splits on LF and CRLF, with or without a last newline, keeping empty lines', async () => {
    expect(await lines('a\r\nb\n\nc')).toEqual(['a', 'b', '', 'c']);
    expect(await lines('a\n')).toEqual(['a']);
    expect(await lines('')).toEqual([]);
  });

  it('keeps lines longer than a read, and characters cut between two reads', async () => {
    const long = 'x'.repeat(65535) + 'é' + 'y'.repeat(200000);
    expect(await lines(`${long}\nü\n`)).toEqual([long, 'ü']);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectionsEvery } from './transfer-collections';

describe('collectionsEvery', () => {
  it('collects each time the bytes moved since the last collection reach the step', () => {
    const collect = jest.fn();
    const moved = collectionsEvery(100, collect);
    moved(60);
    expect(collect).not.toHaveBeenCalled();
    moved(40);
    expect(collect).toHaveBeenCalledTimes(1);
    moved(99);
    expect(collect).toHaveBeenCalledTimes(1);
    moved(250);
    expect(collect).toHaveBeenCalledTimes(2);
    moved(1);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('does nothing without a way to collect', () => {
    expect(() => collectionsEvery(1, undefined)(10)).not.toThrow();
  });
});

describe('transferred', () => {
  const exposed = globalThis.gc;
  afterEach(() => {
    globalThis.gc = exposed;
  });

  const loaded = () => {
    let module!: typeof import('./transfer-collections');
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      module = require('./transfer-collections');
    });
    return module;
  };

  it('has the young generation collected once the step is moved, with gc exposed (as the production command runs node)', () => {
    const gc = jest.fn();
    globalThis.gc = gc as unknown as NodeJS.GCFunction;
    const { transferred, TRANSFER_COLLECTION_BYTES } = loaded();
    transferred(TRANSFER_COLLECTION_BYTES - 1);
    expect(gc).not.toHaveBeenCalled();
    transferred(1);
    expect(gc).toHaveBeenCalledTimes(1);
    expect(gc).toHaveBeenCalledWith({ type: 'minor' });
  });

  it('leaves collections to V8 without it', () => {
    globalThis.gc = undefined;
    const { transferred, TRANSFER_COLLECTION_BYTES } = loaded();
    expect(() => transferred(2 * TRANSFER_COLLECTION_BYTES)).not.toThrow();
  });
});

describe('the production command', () => {
  const root = join(__dirname, '..', '..');
  const scriptFlags = () => {
    const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start:prod'];
    return script.split(' node ')[1].split(' ');
  };
  const imageFlags = () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'));
    return (JSON.parse(cmd?.[1] ?? '[]') as string[]).slice(1);
  };

  it('exposes gc, and runs node with the same options in `npm run start:prod` and in the image', () => {
    expect(scriptFlags()).toContain('--expose-gc');
    expect(imageFlags()).toEqual(scriptFlags());
  });
});

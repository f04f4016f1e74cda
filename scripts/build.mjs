// npm run build: an incremental compile of src/ into dist/ (tsc -b keeps its build info in dist/, so an
// unchanged tree costs an up-to-date check), then the outputs of sources that no longer exist are removed:
// tsc never deletes them, and a stale entity file would be found by the migrations' entity glob.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-b', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

function prune(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      continue;
    }
    const output = /^(.*)\.js(\.map)?$/.exec(entry.name);
    if (!output) continue;
    const source = join(root, 'src', relative(join(root, 'dist'), dir), `${output[1]}.ts`);
    if (!existsSync(source)) rmSync(path);
  }
}
if (existsSync(join(root, 'dist'))) prune(join(root, 'dist'));

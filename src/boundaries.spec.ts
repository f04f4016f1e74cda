import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The dependency rules of eslint.config.mjs, run through ESLint itself on snippets placed (by
 * name only) in folders of src/: `npm run lint` fails on an import across a boundary.
 */
interface Case {
  file: string;
  code: string;
}

interface LintResult {
  messages: { ruleId: string | null; message: string }[];
}

const ROOT = join(__dirname, '..');

/** ESLint's Node API in a child process: its config is an ES module, which ts-jest's CommonJS runtime cannot load. */
function lint(cases: Case[]): LintResult[] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const results = [];
      for (const c of cases) {
        const [result] = await eslint.lintText(c.code, { filePath: c.file });
        results.push({ messages: result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })) });
      }
      process.stdout.write(JSON.stringify(results));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(cases)], { cwd: ROOT, encoding: 'utf8' })) as LintResult[];
}

const importing = (file: string, path: string): Case => ({ file: join(ROOT, file), code: `import * as other from '${path}';\nexport const used = other;\n` });

const restricted = (result: LintResult) => result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);

describe('module boundaries (eslint.config.mjs)', () => {
  const violations: [string, Case][] = [
    ['common imports the database', importing('src/common/errors/x.ts', '../../database/sql')],
    ['common imports a feature', importing('src/common/x.ts', '../messages/message.entity')],
    ['the database imports a feature', importing('src/database/x.ts', '../threads/thread.entity')],
    ['messages import threads (threads build on messages)', importing('src/messages/x.ts', '../threads/threads.repository')],
    ['a feature imports another (auth, idempotency)', importing('src/auth/x.ts', '../idempotency/idempotency.service')],
    ['a feature imports app.module', importing('src/threads/dto/x.ts', '../../app.module')],
    ['a feature imports main', importing('src/messages/x.ts', '../main')],
    ['a feature imports the platform code', importing('src/threads/x.ts', '../platform/fastify')],
    ['common imports config', importing('src/common/pagination/x.ts', '../../config/app.config')],
    ['a feature imports the HTTP framework', importing('src/messages/x.ts', 'fastify')],
    ['common imports the HTTP framework', importing('src/common/http/x.ts', 'express')],
    ['app.factory imports the HTTP framework', importing('src/app.factory.ts', '@nestjs/platform-fastify')],
    ['files import messages (messages and threads point at files)', importing('src/files/x.ts', '../messages/messages.repository')],
    ['files import threads', importing('src/files/storage/x.ts', '../../threads/threads.repository')],
    ['files import the HTTP framework', importing('src/files/x.ts', '@nestjs/platform-express')],
  ];
  const allowed: [string, Case][] = [
    ['threads import messages', importing('src/threads/x.ts', '../messages/new-message')],
    ['a feature imports common and the database', importing('src/messages/dto/x.ts', '../../database/sql')],
    ['a folder imports itself', importing('src/common/errors/x.ts', '../pagination/keyset')],
    ['app.module imports a feature', importing('src/app.module.ts', './threads/threads.module')],
    ['the platform imports the HTTP framework', importing('src/platform/x.ts', 'fastify')],
    ['messages and threads import files', importing('src/threads/x.ts', '../files/file-references')],
    ['files import config, idempotency and the database', importing('src/files/storage/x.ts', '../../config/files.config')],
  ];

  let results: LintResult[];
  beforeAll(() => {
    results = lint([...violations, ...allowed].map(([, c]) => c));
  }, 60000);

  it.each(violations.map(([name], i) => [name, i] as const))('fails when %s', (_name, i) => {
    expect(restricted(results[i])).toEqual([expect.stringMatching(/may not import|Only src\/platform\/ may import the HTTP framework/)]);
  });

  it.each(allowed.map(([name], i) => [name, violations.length + i] as const))('passes when %s', (_name, i) => {
    expect(results[i].messages).toEqual([]);
  });

  it('has the boundaries of every folder of src/', () => {
    const folders = readdirSync(__dirname, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    // A folder with an entry in MAY_IMPORT may not import main; one without would.
    const guarded = lint(folders.map((folder) => importing(`src/${folder}/x.ts`, '../main')));
    expect(Object.fromEntries(folders.map((folder, i) => [folder, restricted(guarded[i]).length]))).toEqual(
      Object.fromEntries(folders.map((folder) => [folder, 1])),
    );
  }, 60000);
});

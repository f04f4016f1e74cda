import tseslint from 'typescript-eslint';

/**
 * The folders of src/ and those each may import, besides itself; main.ts and app.* may import any.
 * Dependencies run one way (no two folders import each other): common/ knows no feature and no
 * database; database/ knows no feature; features never import main, app.* or platform/; threads/
 * builds on messages/ (a thread is created with its first messages), conversations/ on both, and
 * messages/ and threads/ point at files/, never the reverse. A new folder gets an entry here
 * (src/boundaries.spec.ts fails until it has one).
 */
export const MAY_IMPORT = {
  runtime: [],
  types: [],
  config: [],
  common: ['runtime'],
  observability: ['common', 'config'],
  docs: ['common'],
  platform: ['common', 'config', 'observability', 'docs', 'runtime'],
  database: ['config', 'runtime'],
  auth: ['common', 'config', 'database'],
  idempotency: ['common', 'database'],
  files: ['common', 'config', 'database', 'idempotency', 'runtime'],
  messages: ['common', 'database', 'idempotency', 'files'],
  threads: ['common', 'database', 'idempotency', 'files', 'messages'],
  conversations: ['common', 'database', 'idempotency', 'files', 'messages', 'threads'],
  health: ['common', 'database'],
  retention: ['common', 'database', 'threads'],
  cli: ['auth', 'common', 'config', 'database', 'idempotency', 'files', 'messages', 'threads', 'retention'],
};

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Only src/platform knows the HTTP framework: one file per platform. */
const HTTP_FRAMEWORK = {
  regex: '^(fastify|express|@fastify/[^/]+|@nestjs/platform-(fastify|express))(/.*)?$',
  message: 'Only src/platform/ may import the HTTP framework; read requests through HttpRequest (src/common/http/http-request.ts).',
};

/** Relative imports only: a path that climbs (`../`, `../../`) into another folder of src/, or to main or app.*. */
function boundaries(folder) {
  const forbidden = Object.keys(MAY_IMPORT).filter((other) => other !== folder && !MAY_IMPORT[folder].includes(other));
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...forbidden.map((other) => ({
              regex: `^(\\.\\./)+${escape(other)}(/|$)`,
              message: `src/${folder} may not import src/${other} (allowed: ${MAY_IMPORT[folder].join(', ') || 'none'}; see MAY_IMPORT in eslint.config.mjs).`,
            })),
            { regex: '^(\\.\\./)+(main|app\\.[\\w-]+)$', message: `src/${folder} may not import main or app.*: they build the app from the modules.` },
            ...(folder === 'platform' ? [] : [HTTP_FRAMEWORK]),
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'bench/results/**', '.scratch/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // The files at the top of src/ (main, app.*); each folder's rules below carry the same pattern.
    files: ['src/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [HTTP_FRAMEWORK] }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  ...Object.keys(MAY_IMPORT).map(boundaries),
);

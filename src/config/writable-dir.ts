import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './app.config';

/** Creates the directory of a setting if needed and proves it writable, or stops naming the setting. */
export function ensureWritableDir(dir: string, variable: string, alternative = ''): void {
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`${variable} ${dir} cannot be created or written (${code}): set ${variable} to a directory this user can write${alternative}.`);
  }
}

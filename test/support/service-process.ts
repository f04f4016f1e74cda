import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Runs the built service (`node dist/main.js`, as `npm run start:prod` does) with the given
 * environment: on the HTTP platform of the test run (HTTP_PLATFORM) and, on a DATABASE_URL, in its
 * pool mode (DB_POOL_MODE), unless given.
 */
export function runService(env: NodeJS.ProcessEnv, main = MAIN): ServiceProcess {
  const platform = process.env.HTTP_PLATFORM ? { HTTP_PLATFORM: process.env.HTTP_PLATFORM } : {};
  const poolMode = env.DATABASE_URL && process.env.DB_POOL_MODE ? { DB_POOL_MODE: process.env.DB_POOL_MODE } : {};
  const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH, ...platform, ...poolMode, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Resolves once the output contains the text; rejects if the process exits first. */
export function waitForOutput(service: ServiceProcess, text: string | RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const output = service.output();
      if (typeof text === 'string' ? output.includes(text) : text.test(output)) {
        cleanup();
        resolve(output);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`service exited (${code}) before printing ${text}: ${service.output()}`));
    };
    const cleanup = () => {
      service.child.stdout?.off('data', check);
      service.child.stderr?.off('data', check);
      service.child.off('exit', onExit);
    };
    service.child.stdout?.on('data', check);
    service.child.stderr?.on('data', check);
    service.child.once('exit', onExit);
    check();
  });
}

import pino, { Logger } from 'pino';
import { Writable } from 'node:stream';
import { RequestLogger } from './request-logger';

function capture(level: string): { logger: Logger; lines: Record<string, unknown>[]; children: () => number } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level }, stream);
  let made = 0;
  const child = logger.child;
  logger.child = function (this: Logger, ...args: Parameters<Logger['child']>) {
    made++;
    return child.apply(this, args);
  } as Logger['child'];
  return { logger, lines, children: () => made };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('RequestLogger', () => {
  it('makes no child and writes nothing for lines below the level', async () => {
    const { logger, lines, children } = capture('warn');
    const log = new RequestLogger(logger, { request_id: 'req_1' });
    log.info({ status: 200 }, 'request');
    log.debug('detail');
    await flush();
    expect(lines).toEqual([]);
    expect(children()).toBe(0);
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.level).toBe('warn');
  });

  it('writes a line at the level with the request bindings, through one child', async () => {
    const { logger, lines, children } = capture('info');
    const log = new RequestLogger(logger, { request_id: 'req_2' });
    log.info({ status: 200 }, 'request');
    log.error({ status: 500 }, 'request failed');
    await flush();
    expect(lines).toMatchObject([
      { level: 30, request_id: 'req_2', status: 200, msg: 'request' },
      { level: 50, request_id: 'req_2', status: 500, msg: 'request failed' },
    ]);
    expect(children()).toBe(1);
  });

  it('takes a level of its own at once, and children carry the bindings', async () => {
    const { logger, lines } = capture('info');
    const quiet = new RequestLogger(logger, { request_id: 'req_3' }, { level: 'error' });
    quiet.info('not written');
    quiet.child({ part: 'upload' }).error('written');
    const loud = new RequestLogger(logger, { request_id: 'req_4' });
    loud.level = 'debug';
    loud.debug('now written');
    await flush();
    expect(lines).toMatchObject([
      { request_id: 'req_3', part: 'upload', msg: 'written' },
      { request_id: 'req_4', msg: 'now written' },
    ]);
    expect(lines).toHaveLength(2);
  });
});

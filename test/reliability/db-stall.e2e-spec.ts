import { Pool } from 'pg';
import { elapsed, envelopeProblem, jsonOf, sendRaw } from '../support/reliability/raw-http';
import { TcpRelay } from '../support/reliability/tcp-relay';
import { waitFor } from '../support/reliability/wait-for';
import { RelayedService, startRelayedService } from '../support/reliability/relayed-service';
import { ServiceProcess } from '../support/service-process';

/**
 * A partition that fails nothing: the network to PostgreSQL stops carrying bytes but no connection
 * breaks. Readiness still answers 503 within its own limit, and requests are answered 503 or 504
 * in the envelope within the request timeout (4 s here), never left hanging; once the network is
 * back the service recovers by itself.
 */

const KEY = 'sk-stall-0123456789abcdefghijklmnopqrstuvwxyz';
const REQUEST_TIMEOUT_MS = 4000;
const ANSWER_WITHIN_MS = 5000;
const json = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };

describe('database partition that stalls without failing', () => {
  let relayed: RelayedService;
  let relay: TcpRelay;
  let service: ServiceProcess;
  let port: number;
  let direct: Pool;

  beforeAll(async () => {
    relayed = await startRelayedService(KEY, { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
    ({ relay, service, port, direct } = relayed);
  }, 30_000);

  afterAll(() => relayed?.stop(), 30_000);

  it('answers readiness and requests in time while stalled, and recovers after', async () => {
    const thread = await sendRaw(port, { method: 'POST', path: '/v1/threads', headers: json, body: '{}' });
    expect(thread.response?.status).toBe(200);
    const threadId = (jsonOf(thread.response) as { id: string }).id;
    const before = await sendRaw(port, { method: 'POST', path: `/v1/threads/${threadId}/messages`, headers: json, body: '{"role":"user","content":"before"}' });
    expect(before.response?.status).toBe(200);

    relay.stall();
    const answers = await Promise.all([
      sendRaw(port, { method: 'GET', path: '/readyz', timeoutMs: 10_000 }),
      sendRaw(port, { method: 'POST', path: `/v1/threads/${threadId}/messages`, headers: json, body: '{"role":"user","content":"during"}', timeoutMs: 10_000 }),
      sendRaw(port, { method: 'GET', path: `/v1/threads/${threadId}/messages`, headers: json, timeoutMs: 10_000 }),
      sendRaw(port, { method: 'GET', path: `/openai/threads/${threadId}?api-version=2024-08-01-preview`, headers: { 'api-key': KEY }, timeoutMs: 10_000 }),
    ]);
    const [readiness, ...requests] = answers;
    expect(readiness.response?.status).toBe(503);
    // Readiness has a limit of its own (2 s), shorter than the request timeout.
    expect(elapsed(readiness)).toBeLessThan(3000);
    for (const answer of requests) {
      expect([503, 504]).toContain(answer.response?.status);
      expect(elapsed(answer)).toBeLessThan(ANSWER_WITHIN_MS + 1000);
      expect(envelopeProblem(answer.response as NonNullable<typeof answer.response>)).toBeUndefined();
    }
    expect(service.child.exitCode).toBeNull();

    await relay.restore();
    await waitFor('/readyz to answer 200 after the partition', async () => (await sendRaw(port, { method: 'GET', path: '/readyz' })).response?.status === 200, {
      timeoutMs: 5000,
    });
    const after = await waitFor(
      'a create to succeed after the partition',
      async () => {
        const outcome = await sendRaw(port, {
          method: 'POST',
          path: `/v1/threads/${threadId}/messages`,
          headers: json,
          body: '{"role":"user","content":"after"}',
        });
        return outcome.response?.status === 200 ? outcome : undefined;
      },
      { timeoutMs: 5000 },
    );
    const ids = [before, after].map((outcome) => (jsonOf(outcome.response) as { id: string }).id);
    const stored = await direct.query('SELECT id FROM messages WHERE id = ANY($1)', [ids]);
    expect(stored.rows.map((row) => row.id).sort()).toEqual([...ids].sort());
  }, 40_000);
});

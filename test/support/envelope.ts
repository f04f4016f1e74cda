import type { Response } from 'supertest';

/** The OpenAI error envelope with this status: JSON, `{"error":{"message","type","param","code"}}`, a message. */
export function expectErrorEnvelope(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(res.body.error.type).toBe('invalid_request_error');
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(0);
}

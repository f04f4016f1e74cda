import { Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics';

/** The registry's text after recording each request (method, route, status, seconds), line by line. */
async function linesAfter(requests: [string, string, number, number][]): Promise<string[]> {
  const registry = new Registry();
  const metrics = new RequestMetrics(registry);
  for (const [method, route, status, seconds] of requests) metrics.record(method, route, status, seconds);
  return (await registry.metrics()).split('\n');
}

describe('RequestMetrics', () => {
  it('counts requests and their durations by method, route and status, in the Prometheus text format', async () => {
    // 5 ms falls in the bucket le="0.005" itself (le: less than or equal), 7 ms in le="0.01", 20 s above every bound.
    const lines = await linesAfter([
      ['POST', '/v1/threads', 200, 0.005],
      ['POST', '/v1/threads', 200, 0.007],
      ['POST', '/v1/threads', 200, 20],
      ['GET', '/v1/threads/:thread_id', 404, 0.0001],
    ]);
    const value = (prefix: string) => lines.find((line) => line.startsWith(`${prefix} `))?.slice(prefix.length + 1);
    const post = 'method="POST",route="/v1/threads",status="200"';
    expect(lines).toContain('# TYPE http_requests_total counter');
    expect(lines).toContain('# TYPE http_request_duration_seconds histogram');
    expect(value(`http_requests_total{${post}}`)).toBe('3');
    expect(value('http_requests_total{method="GET",route="/v1/threads/:thread_id",status="404"}')).toBe('1');
    expect(value(`http_request_duration_seconds_bucket{le="0.0025",${post}}`)).toBe('0');
    expect(value(`http_request_duration_seconds_bucket{le="0.005",${post}}`)).toBe('1');
    expect(value(`http_request_duration_seconds_bucket{le="0.01",${post}}`)).toBe('2');
    expect(value(`http_request_duration_seconds_bucket{le="10",${post}}`)).toBe('2');
    expect(value(`http_request_duration_seconds_bucket{le="+Inf",${post}}`)).toBe('3');
    expect(Number(value(`http_request_duration_seconds_sum{${post}}`))).toBeCloseTo(20.012, 9);
    expect(value(`http_request_duration_seconds_count{${post}}`)).toBe('3');
    expect(value('http_request_duration_seconds_bucket{le="0.001",method="GET",route="/v1/threads/:thread_id",status="404"}')).toBe('1');
  });

  it('keeps a series for each method and status of a route', async () => {
    const lines = await linesAfter([
      ['POST', '/v1/threads', 200, 0.001],
      ['POST', '/v1/threads', 400, 0.001],
      ['GET', '/v1/threads', 200, 0.001],
      ['POST', '/v1/threads', 400, 0.001],
      ['GET', '/v1/threads', 200, 0.001],
      ['GET', '/v1/threads', 200, 0.001],
    ]);
    expect(lines.filter((line) => line.startsWith('http_requests_total{')).sort()).toEqual([
      'http_requests_total{method="GET",route="/v1/threads",status="200"} 3',
      'http_requests_total{method="POST",route="/v1/threads",status="200"} 1',
      'http_requests_total{method="POST",route="/v1/threads",status="400"} 2',
    ]);
  });
});

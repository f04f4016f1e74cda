import { Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics';

describe('RequestMetrics', () => {
  it('counts requests and their durations by method, route and status, in the Prometheus text format', async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics(registry);
    // 5 ms falls in the bucket le="0.005" itself (le: less than or equal), 7 ms in le="0.01", 20 s above every bound.
    metrics.record('POST', '/v1/threads', 200, 0.005);
    metrics.record('POST', '/v1/threads', 200, 0.007);
    metrics.record('POST', '/v1/threads', 200, 20);
    metrics.record('GET', '/v1/threads/:thread_id', 404, 0.0001);
    const lines = (await registry.metrics()).split('\n');
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
    const registry = new Registry();
    const metrics = new RequestMetrics(registry);
    metrics.record('POST', '/v1/threads', 200, 0.001);
    metrics.record('POST', '/v1/threads', 400, 0.001);
    metrics.record('GET', '/v1/threads', 200, 0.001);
    metrics.record('POST', '/v1/threads', 400, 0.001);
    metrics.record('GET', '/v1/threads', 200, 0.001);
    metrics.record('GET', '/v1/threads', 200, 0.001);
    const lines = (await registry.metrics()).split('\n');
    const counts = lines.filter((line) => line.startsWith('http_requests_total{')).sort();
    expect(counts).toEqual([
      'http_requests_total{method="GET",route="/v1/threads",status="200"} 3',
      'http_requests_total{method="POST",route="/v1/threads",status="200"} 1',
      'http_requests_total{method="POST",route="/v1/threads",status="400"} 2',
    ]);
  });
});

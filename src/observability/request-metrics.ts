import type { Metric, Registry } from 'prom-client';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: { method: string; route: string; status: string };
  /** Observations per bucket (not cumulative): index i counts values in (BUCKETS[i-1], BUCKETS[i]]; the last, above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface Value {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
}

/** A metric of the registry's text format, read from the series when scraped. */
function metric(name: string, help: string, type: 'counter' | 'histogram', values: () => Value[]): Metric {
  const read = async () => ({ name, help, type, aggregator: 'sum', values: values() });
  return { name, help, type, aggregator: 'sum', get: read, reset: () => undefined } as unknown as Metric;
}

/**
 * `http_requests_total` and `http_request_duration_seconds` by method, route and status. Recording a
 * request is a map lookup and a few additions; the text format is built when `/metrics` is read
 * (prom-client's own metrics hash their label objects on every observation).
 */
export class RequestMetrics {
  private readonly series = new Map<string, Series>();

  constructor(registry: Registry) {
    registry.registerMetric(
      metric('http_requests_total', 'HTTP requests answered', 'counter', () => [...this.series.values()].map((s) => ({ labels: s.labels, value: s.count }))),
    );
    registry.registerMetric(metric('http_request_duration_seconds', 'Time to answer an HTTP request', 'histogram', () => this.histogramValues()));
  }

  record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { method, route, status: String(status) }, counts: new Float64Array(BUCKETS.length + 1), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]) bucket++;
    series.counts[bucket]++;
    series.sum += seconds;
    series.count++;
  }

  private histogramValues(): Value[] {
    const values: Value[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += counts[i];
        values.push({ labels: { le }, sharedLabels: labels, value: cumulative, metricName: 'http_request_duration_seconds_bucket' });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: labels, value: count, metricName: 'http_request_duration_seconds_bucket' });
      values.push({ labels: {}, sharedLabels: labels, value: sum, metricName: 'http_request_duration_seconds_sum' });
      values.push({ labels: {}, sharedLabels: labels, value: count, metricName: 'http_request_duration_seconds_count' });
    }
    return values;
  }
}

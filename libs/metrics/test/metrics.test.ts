import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/index.js';

describe('createMetrics', () => {
  it('exposes the HTTP histogram and process metrics with service labels', async () => {
    const m = createMetrics({ service: 'svc', node: 'svc-1' });
    m.httpDuration.observe({ method: 'GET', route: '/x', status_code: '200' }, 0.002);
    const text = await m.registry.metrics();
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.0025",.*route="\/x".*\} 1/);
    expect(text).toContain('service="svc"');
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});

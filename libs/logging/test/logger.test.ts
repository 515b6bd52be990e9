import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

describe('createLogger', () => {
  it('redacts credentials and tags the service', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger({ name: 'svc', destination });
    log.info({ req: { headers: { 'x-api-key': 'secret-key', authorization: 'Bearer t' } }, password: 'pw' }, 'hi');
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line.service).toBe('svc');
    expect(JSON.stringify(line)).not.toMatch(/secret-key|Bearer t|"pw"/);
  });
});

import { describe, expect, it } from 'vitest';
import { AppError, CommonErrors, toProblem } from '../src/index.js';

describe('toProblem', () => {
  it('keeps an AppError code, status, retriable flag and details', () => {
    const p = toProblem(new AppError(CommonErrors.unavailable, { details: { shard: 1 } }), 'r1');
    expect(p).toMatchObject({ code: 'ERR_UNAVAILABLE', status: 503, retriable: true, requestId: 'r1' });
    expect(p.details).toEqual({ shard: 1 });
  });

  it('maps framework validation and body errors onto stable codes', () => {
    expect(toProblem({ validation: [{ message: 'x' }], statusCode: 400, message: 'body/x bad' }).code).toBe(
      'ERR_VALIDATION',
    );
    expect(toProblem({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }).status).toBe(413);
    const syntax = Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 });
    expect(toProblem(syntax).code).toBe('ERR_MALFORMED_JSON');
  });

  it('hides the internals of unknown errors', () => {
    const p = toProblem(new Error('password=hunter2 at db.ts:12'));
    expect(p).toMatchObject({ code: 'ERR_INTERNAL', status: 500, title: 'internal error' });
    expect(JSON.stringify(p)).not.toContain('hunter2');
  });
});

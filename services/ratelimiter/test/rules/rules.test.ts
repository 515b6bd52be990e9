import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@sdl/logging';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseRules, RulesError, rulesFromLimits } from '../../src/rules/rule-set.js';
import { createRulesSource, type RulesSource } from '../../src/rules/rules-source.js';

const rule = (over: Record<string, unknown> = {}) => ({
  name: 'r',
  algorithm: 'gcra',
  limit: 10,
  windowMs: 1000,
  ...over,
});

function errorsOf(doc: unknown): readonly string[] {
  try {
    parseRules(doc);
  } catch (err) {
    if (err instanceof RulesError) return err.errors;
    throw err;
  }
  return [];
}

describe('rules', () => {
  it('lists every error of an invalid document, not just the first', () => {
    const errors = errorsOf({
      rules: [rule({ algorithm: 'leaky', limit: 0 }), rule({ name: 'b', windowMs: -1, extra: 1 }), rule({ name: 'b' })],
    });
    expect(errors.join('\n')).toMatch(/\/rules\/0\/algorithm/);
    expect(errors.join('\n')).toMatch(/\/rules\/0\/limit/);
    expect(errors.join('\n')).toMatch(/\/rules\/1\/windowMs/);
    expect(errors.join('\n')).toMatch(/\/rules\/1/);
    expect(
      errorsOf({ rules: [rule({ name: 'b' }), rule({ name: 'b', algorithm: 'fixed-window', burst: 3 })] }),
    ).toEqual(['/rules/1/name: duplicate rule name b', '/rules/1/burst: only token-bucket and gcra have a burst']);
    expect(errorsOf({ rules: [rule({ key: ['address'] })] })).toEqual([
      '/rules/0/key: "address" must also be in match (e.g. "*")',
    ]);
    expect(errorsOf({})).not.toEqual([]);
  });

  it('matches exact, prefix and presence patterns; first enforcing rule wins; shadows all apply', () => {
    const set = parseRules({
      rules: [
        rule({ name: 'watch', shadow: true, match: { route: 'POST *' } }),
        rule({ name: 'per-ip', match: { address: '10.*' }, key: ['address'] }),
        rule({ name: 'pro', match: { plan: 'pro', route: '*' } }),
        rule({ name: 'all' }),
      ],
    });
    const names = (d: Parameters<typeof set.match>[0]) => {
      const m = set.match(d);
      return [m.enforcing?.name, m.shadows.map((s) => s.name)];
    };
    expect(names({ client: 'a', address: '10.0.0.1', route: 'POST /v1/x' })).toEqual(['per-ip', ['watch']]);
    expect(names({ client: 'a', plan: 'pro', route: 'GET /v1/x' })).toEqual(['pro', []]);
    expect(names({ client: 'a', plan: 'pro' })).toEqual(['all', []]);
    const perIp = set.rules[1]!;
    expect(perIp.keyOf({ client: 'a', address: '10.0.0.1' })).toBe(perIp.keyOf({ client: 'b', address: '10.0.0.1' }));
    expect(set.rules[3]!.keyOf({ client: 'a' })).not.toBe(set.rules[3]!.keyOf({ client: 'b' }));
  });

  it('accepts the example rules file, which keeps the compose limits', async () => {
    const set = parseRules(JSON.parse(await readFile(new URL('../../rules.example.json', import.meta.url), 'utf8')));
    expect(set.match({ client: 'limited' }).enforcing).toMatchObject({ limit: 5, windowMs: 60000 });
    expect(set.match({ client: 'demo', route: 'GET /v1/posts' }).enforcing).toMatchObject({
      name: 'default',
      limit: 1000,
    });
  });

  it('builds the LIMITS rules: client overrides first, then the default', () => {
    const set = rulesFromLimits(
      { default: { limit: 1000, windowMs: 1000 }, clients: { limited: { limit: 5, windowMs: 60000 } } },
      'fixed-window',
    );
    expect(set.match({ client: 'limited' }).enforcing).toMatchObject({ limit: 5, windowMs: 60000 });
    expect(set.match({ client: 'demo' }).enforcing).toMatchObject({ name: 'default', limit: 1000, windowMs: 1000 });
  });
});

describe('rules file hot reload', () => {
  let dir: string;
  let file: string;
  let source: RulesSource | undefined;
  const reloads: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rl-rules-'));
    file = join(dir, 'rules.json');
    await writeFile(file, JSON.stringify({ rules: [rule({ limit: 1 })] }));
  });
  afterAll(async () => {
    source?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start on invalid rules', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"rules": [');
    await expect(
      createRulesSource({ file: bad, pollMs: 100, logger: createLogger({ name: 't', level: 'silent' }) }),
    ).rejects.toThrow(RulesError);
  });

  it('applies a valid edit, and keeps the previous rules when an edit is invalid', async () => {
    source = await createRulesSource({
      file,
      pollMs: 100,
      logger: createLogger({ name: 't', level: 'silent' }),
      onReload: (result) => reloads.push(result),
    });
    const limitNow = () => source!.current().match({ client: 'x' }).enforcing?.limit;
    expect(limitNow()).toBe(1);
    await writeFile(file, JSON.stringify({ rules: [rule({ limit: 2 })] }));
    await vi.waitFor(() => expect(limitNow()).toBe(2), { timeout: 3000, interval: 20 });
    await writeFile(file, JSON.stringify({ rules: [rule({ limit: 0 })] }));
    await vi.waitFor(() => expect(reloads).toContain('rejected'), { timeout: 3000, interval: 20 });
    expect(limitNow()).toBe(2);
  });
});

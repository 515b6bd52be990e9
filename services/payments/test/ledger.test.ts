import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, charge, getJson, tempDir } from './support/helpers.js';

const body = { amount: 500, currency: 'EUR', reference: 'sub:1:2026-01-01T00:00:00.000Z' };

describe('payments: the durable ledger', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let ledgerPath: string;
  beforeEach(async () => {
    dir = await tempDir();
    ledgerPath = join(dir.path, 'data', 'ledger.jsonl');
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('keeps charges and their keys across a restart: the same key replays the same charge', async () => {
    const first = await buildTestApp({ LEDGER_PATH: ledgerPath });
    const made = (await charge(first, body, body.reference)).json();
    await first.close();

    const second = await buildTestApp({ LEDGER_PATH: ledgerPath });
    try {
      const again = await charge(second, body, body.reference);
      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(made);
      // The fingerprint survives too: another body under the key is still a mismatch.
      expect((await charge(second, { ...body, amount: 1 }, body.reference)).statusCode).toBe(422);
      expect(await getJson(second, '/v1/audit')).toMatchObject({ charges: 1, references: 1, keys: 1, replays: 1 });
    } finally {
      await second.close();
    }
  });

  it('writes every concurrently answered charge (group commit) and reads all of them back', async () => {
    const first = await buildTestApp({ LEDGER_PATH: ledgerPath });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => charge(first, { ...body, reference: `r${i}` }, `k${i}`)),
    );
    expect(answers.every((a) => a.statusCode === 201)).toBe(true);
    await first.close();
    const lines = (await readFile(ledgerPath, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(40);

    const second = await buildTestApp({ LEDGER_PATH: ledgerPath });
    try {
      expect(await getJson(second, '/v1/stats')).toEqual({ charges: 40, replays: 0 });
      expect((await second.inject({ method: 'GET', url: `/v1/charges/${answers[7]!.json().id}` })).statusCode).toBe(
        200,
      );
    } finally {
      await second.close();
    }
  });

  it('cuts off a torn last line (never acknowledged) and appends after it cleanly', async () => {
    const first = await buildTestApp({ LEDGER_PATH: ledgerPath });
    await charge(first, body, 'a');
    await first.close();
    await appendFile(ledgerPath, '{"charge":{"id":"ch_torn"');

    const second = await buildTestApp({ LEDGER_PATH: ledgerPath });
    await charge(second, { ...body, reference: 'other' }, 'b');
    await second.close();
    const third = await buildTestApp({ LEDGER_PATH: ledgerPath });
    try {
      expect(await getJson(third, '/v1/stats')).toEqual({ charges: 2, replays: 0 });
    } finally {
      await third.close();
    }
  });

  it('refuses to start on a damaged line: PAY_ERR_LEDGER_CORRUPT', async () => {
    const first = await buildTestApp({ LEDGER_PATH: ledgerPath });
    await charge(first, body, 'a');
    await first.close();
    await writeFile(ledgerPath, `not json\n${await readFile(ledgerPath, 'utf8')}`);
    await expect(buildTestApp({ LEDGER_PATH: ledgerPath })).rejects.toMatchObject({ code: 'PAY_ERR_LEDGER_CORRUPT' });
  });

  it('keeps nothing without LEDGER_PATH', async () => {
    const first = await buildTestApp();
    await charge(first, body, 'a');
    await first.close();
    const second = await buildTestApp();
    try {
      expect(await getJson(second, '/v1/stats')).toEqual({ charges: 0, replays: 0 });
    } finally {
      await second.close();
    }
  });
});

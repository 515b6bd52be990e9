import { describe, expect, it } from 'vitest';
import { parseMediaType } from '../../src/threat-protection/body-policy.js';
import { inspectJson } from '../../src/threat-protection/json-inspection.js';

describe('inspectJson', () => {
  it.each([
    '0',
    '-0',
    '"x"',
    'true',
    ' null ',
    '[]',
    '{}',
    '[1,2.5,-3e-7,1E+2,9007199254740991,-9007199254740991]',
    '{"a":{"b":[{"c":"\\u00e9\\n\\"\\\\\\/"}]},"d":false}',
    '{"constructor":{"name":"x"},"proto":1,"prototype":2}',
    '\t{\r\n "a" : [ ] }\n',
    `${'['.repeat(32)}${']'.repeat(32)}`,
  ])('accepts %s as JSON.parse does', (text) => {
    expect(() => JSON.parse(text) as unknown).not.toThrow();
    expect(inspectJson(text, 32)).toBeUndefined();
  });

  it.each([
    ['', 'malformed'],
    ['{', 'malformed'],
    ['[1 2]', 'malformed'],
    ['{"a" 1}', 'malformed'],
    ['{"a":1}}', 'malformed'],
    ['[1,]', 'malformed'],
    ['{,}', 'malformed'],
    ['01', 'malformed'],
    ['1.', 'malformed'],
    ['"\\u12"', 'malformed'],
    ['tru', 'malformed'],
    ['[] []', 'malformed'],
    [`${'['.repeat(33)}${']'.repeat(33)}`, 'too_deep'],
    ['{"a":1,"a":2}', 'duplicate_key'],
    ['{"a":{"b":1},"b":{"b":2}}', undefined],
    ['{"__proto__":1}', 'forbidden_key'],
    ['{"constructor":{"prototype":{}}}', 'forbidden_key'],
    ['[9007199254740993]', 'number_out_of_range'],
    ['1e309', 'number_out_of_range'],
  ])('judges %j as %s', (text, fault) => {
    expect(inspectJson(text, 32)).toBe(fault);
    if (fault === 'malformed') expect(() => JSON.parse(text) as unknown).toThrow();
  });
});

describe('parseMediaType', () => {
  it('reads a type and its parameters, and refuses what is not one', () => {
    expect(parseMediaType('Application/JSON; Charset="UTF-8"')).toEqual({
      type: 'application/json',
      params: new Map([['charset', 'utf-8']]),
    });
    for (const bad of ['', 'json', 'application/json, text/plain', 'application/json;', 'a/b; c', 'a/b; =d']) {
      expect(parseMediaType(bad), bad).toBeUndefined();
    }
  });
});

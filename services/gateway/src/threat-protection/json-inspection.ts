/** Why a JSON text is refused (each becomes a stable code in body-policy.ts). */
export type JsonFault = 'malformed' | 'too_deep' | 'duplicate_key' | 'forbidden_key' | 'number_out_of_range';

type Frame =
  | { readonly kind: 'array' }
  | { readonly kind: 'object'; readonly keys: Set<string>; readonly constructorValue: boolean };
type Mode = 'value' | 'value-or-end' | 'key' | 'key-or-end' | 'colon' | 'after-value';

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** A number the api's JSON.parse would not keep as written: not a finite double, or an integer past 2^53. */
function outOfRange(literal: string): boolean {
  const value = Number(literal);
  if (!Number.isFinite(value)) return true;
  return !/[.eE]/.test(literal) && !Number.isSafeInteger(value);
}

/** The index after the string literal starting at `start` (a `"`), or -1 when it is not valid JSON. */
function scanString(text: string, start: number): number {
  for (let j = start + 1; j < text.length;) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) return -1;
    if (c !== 0x5c) {
      j += 1;
      continue;
    }
    const escaped = text[j + 1];
    if (escaped === 'u') {
      if (!HEX4.test(text.slice(j + 2, j + 6))) return -1;
      j += 6;
    } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) {
      j += 2;
    } else {
      return -1;
    }
  }
  return -1;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * One pass over a JSON text without building it: undefined when it is one well-formed value
 * (RFC 8259) within `maxDepth` nested arrays/objects, with no key twice in an object (after
 * unescaping), no `__proto__` key and no `prototype` key under a `constructor` key, and only numbers
 * a double holds exactly enough (finite; integers within 2^53). Iterative: depth costs no stack.
 */
export function inspectJson(text: string, maxDepth: number): JsonFault | undefined {
  const stack: Frame[] = [];
  let mode: Mode = 'value';
  let pendingKey: string | undefined;
  let i = 0;
  for (;;) {
    while (i < text.length && WHITESPACE.has(text.charCodeAt(i))) i += 1;
    if (i >= text.length) return mode === 'after-value' && stack.length === 0 ? undefined : 'malformed';
    const c = text[i]!;
    const top = stack.at(-1);
    if ((mode === 'value-or-end' && c === ']') || (mode === 'key-or-end' && c === '}')) {
      stack.pop();
      i += 1;
      mode = 'after-value';
      continue;
    }
    if (mode === 'value' || mode === 'value-or-end') {
      const key = pendingKey;
      pendingKey = undefined;
      if (c === '{' || c === '[') {
        if (stack.length >= maxDepth) return 'too_deep';
        stack.push(
          c === '[' ? { kind: 'array' } : { kind: 'object', keys: new Set(), constructorValue: key === 'constructor' },
        );
        mode = c === '[' ? 'value-or-end' : 'key-or-end';
        i += 1;
        continue;
      }
      if (c === '"') {
        i = scanString(text, i);
        if (i < 0) return 'malformed';
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        const literal = NUMBER.exec(text)?.[0];
        if (literal === undefined) return 'malformed';
        if (outOfRange(literal)) return 'number_out_of_range';
        i += literal.length;
      } else {
        const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
        if (word === undefined) return 'malformed';
        i += word.length;
      }
      mode = 'after-value';
    } else if (mode === 'key' || mode === 'key-or-end') {
      if (c !== '"' || top?.kind !== 'object') return 'malformed';
      const end = scanString(text, i);
      if (end < 0) return 'malformed';
      const key = JSON.parse(text.slice(i, end)) as string;
      if (key === '__proto__' || (key === 'prototype' && top.constructorValue)) return 'forbidden_key';
      if (top.keys.has(key)) return 'duplicate_key';
      top.keys.add(key);
      pendingKey = key;
      i = end;
      mode = 'colon';
    } else if (mode === 'colon') {
      if (c !== ':') return 'malformed';
      i += 1;
      mode = 'value';
    } else {
      // after a value: a separator or the end of the enclosing array/object; nothing after the top value.
      if (top === undefined) return 'malformed';
      if (c === ',') mode = top.kind === 'object' ? 'key' : 'value';
      else if ((c === '}' && top.kind === 'object') || (c === ']' && top.kind === 'array')) stack.pop();
      else return 'malformed';
      i += 1;
    }
  }
}

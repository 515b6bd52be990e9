import { randomUUID } from 'node:crypto';

const VALID_ID = /^[\w.:-]{1,128}$/;

/** The caller's `x-request-id` when it is sane, else a fresh UUID: ids survive every hop. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && VALID_ID.test(value) ? value : randomUUID();
}

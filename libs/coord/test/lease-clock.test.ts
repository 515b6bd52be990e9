import { EventEmitter } from 'node:events';
import type { Lease } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { createLeaseClock } from '../src/lease-clock.js';

// The keep-alive events etcd3's Lease emits, driven by hand on a hand-driven clock.
function fakeLease(): { lease: Lease; emit: (event: string) => void } {
  const emitter = new EventEmitter();
  return { lease: emitter as unknown as Lease, emit: (event) => void emitter.emit(event) };
}

describe('createLeaseClock', () => {
  const ttlMs = 3000;
  const marginMs = 750;

  it('is invalid before the grant and valid until grant + TTL - margin', () => {
    let now = 0;
    const { lease } = fakeLease();
    const clock = createLeaseClock(lease, ttlMs, marginMs, () => now);
    expect(clock.valid()).toBe(false);
    clock.granted(100);
    now = 2349;
    expect(clock.valid()).toBe(true);
    now = 2350;
    expect(clock.valid()).toBe(false);
  });

  it('credits each answer with the send time of the request it answers (FIFO), not the latest send', () => {
    let now = 0;
    const { lease, emit } = fakeLease();
    const clock = createLeaseClock(lease, ttlMs, marginMs, () => now);
    clock.granted(0);
    emit('keepaliveEstablished');
    now = 1000;
    emit('keepaliveFired');
    now = 2000;
    emit('keepaliveFired');
    now = 2100;
    emit('keepaliveSucceeded'); // answers the request sent at 1000
    expect(clock.deadline()).toBe(1000 + ttlMs - marginMs);
    emit('keepaliveSucceeded'); // answers the one sent at 2000
    expect(clock.deadline()).toBe(2000 + ttlMs - marginMs);
  });

  it('forgets unanswered sends when the keep-alive stream is replaced', () => {
    let now = 0;
    const { lease, emit } = fakeLease();
    const clock = createLeaseClock(lease, ttlMs, marginMs, () => now);
    clock.granted(0);
    emit('keepaliveEstablished');
    now = 500;
    emit('keepaliveFired'); // never answered
    emit('keepaliveFailed');
    now = 600;
    emit('keepaliveSucceeded'); // a stray answer between streams is not credited
    expect(clock.deadline()).toBe(ttlMs - marginMs);
    emit('keepaliveEstablished');
    now = 700;
    emit('keepaliveFired');
    now = 720;
    emit('keepaliveSucceeded');
    expect(clock.deadline()).toBe(700 + ttlMs - marginMs);
  });

  it('stays lapsed once the deadline passed, even if a late answer arrives', () => {
    let now = 0;
    const { lease, emit } = fakeLease();
    const clock = createLeaseClock(lease, ttlMs, marginMs, () => now);
    clock.granted(0);
    emit('keepaliveEstablished');
    now = 2000;
    emit('keepaliveFired');
    now = 2300; // past 0 + 3000 - 750
    expect(clock.valid()).toBe(false);
    emit('keepaliveSucceeded');
    expect(clock.valid()).toBe(false);
  });
});

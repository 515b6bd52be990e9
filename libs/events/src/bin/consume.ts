#!/usr/bin/env node
// Waits for one event whose key or value contains --match and prints it as a JSON line; or, with
// --created ID,ID,..., reads the topic from its start until every id's `<kind>.created` event came
// (or --timeout-ms passed) and prints { seen, missing, duplicates } (duplicates: deliveries of an
// event id already seen, which consumers de-duplicate by that id).
// Used by the end-to-end tests and the game days from inside the compose network (`./lab compose
// exec -T api-1 node libs/events/dist/bin/consume.js ...`), so the broker never has to be published
// on the host.
import { parseArgs } from 'node:util';
import { createLogger } from '@sdl/logging';
import { createEventConsumer, type IncomingEvent } from '../consumer.js';
import { parseEnvelope } from '../envelope.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: 'kafka:9092' },
    topic: { type: 'string' },
    match: { type: 'string' },
    created: { type: 'string' },
    group: { type: 'string', default: `consume-cli-${process.pid}-${Date.now()}` },
    'timeout-ms': { type: 'string', default: '30000' },
  },
});

/** Decides on each event; `finish(0)` when satisfied. `report()` is printed at the end either way. */
interface Goal {
  onEvent(event: IncomingEvent, finish: (code: number) => void): void;
  report(): string | undefined;
}

function matchOne(match: string): Goal {
  let found: IncomingEvent | undefined;
  return {
    onEvent(event, finish) {
      if (found !== undefined || !(event.value.includes(match) || event.key === match)) return;
      found = event;
      finish(0);
    },
    report: () => (found === undefined ? undefined : JSON.stringify(found)),
  };
}

function allCreated(ids: readonly string[]): Goal {
  const missing = new Set(ids);
  const eventIds = new Set<string>();
  let duplicates = 0;
  return {
    onEvent(event, finish) {
      const envelope = parseEnvelope(event.value);
      if (envelope === undefined || !envelope.type.endsWith('.created')) return;
      if (eventIds.has(envelope.eventId)) duplicates++;
      eventIds.add(envelope.eventId);
      missing.delete(envelope.aggregateId);
      if (missing.size === 0) finish(0);
    },
    report: () =>
      JSON.stringify({ seen: ids.length - missing.size, missing: [...missing], duplicates, events: eventIds.size }),
  };
}

if (values.topic === undefined || (values.match === undefined) === (values.created === undefined)) {
  process.stderr.write(
    'usage: consume --topic T (--match TEXT | --created ID,ID,...) [--brokers B] [--group G] [--timeout-ms N]\n',
  );
  process.exitCode = 2;
} else {
  const goal =
    values.created === undefined
      ? matchOne(values.match!)
      : allCreated(values.created.split(',').filter((id) => id !== ''));
  const logger = createLogger({ name: 'consume-cli', level: 'warn', destination: process.stderr });
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const consumer = await createEventConsumer({
    brokers: values.brokers.split(','),
    clientId: 'consume-cli',
    logger,
    groupId: values.group,
    topics: [values.topic],
    fromBeginning: true,
    onEvent: async (event) => goal.onEvent(event, finish),
  });
  const timer = setTimeout(() => finish(1), Number(values['timeout-ms']));
  const code = await finished;
  clearTimeout(timer);
  await consumer.close();
  const report = goal.report();
  if (report !== undefined) process.stdout.write(`${report}\n`);
  if (code !== 0) process.stderr.write(`not every event came within ${values['timeout-ms']} ms\n`);
  process.exitCode = code;
}

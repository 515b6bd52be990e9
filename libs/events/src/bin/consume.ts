#!/usr/bin/env node
// Waits for one event whose key or value contains --match and prints it as a JSON line.
// Used by the end-to-end tests from inside the compose network (`./lab compose exec -T api-1 node
// libs/events/dist/bin/consume.js ...`), so the broker never has to be published on the host.
import { parseArgs } from 'node:util';
import { createLogger } from '@sdl/logging';
import { createEventConsumer } from '../consumer.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: 'kafka:9092' },
    topic: { type: 'string' },
    match: { type: 'string' },
    group: { type: 'string', default: `consume-cli-${process.pid}-${Date.now()}` },
    'timeout-ms': { type: 'string', default: '30000' },
  },
});
if (values.topic === undefined || values.match === undefined) {
  process.stderr.write('usage: consume --topic T --match TEXT [--brokers B] [--group G] [--timeout-ms N]\n');
  process.exitCode = 2;
} else {
  const match = values.match;
  const logger = createLogger({ name: 'consume-cli', level: 'warn', destination: process.stderr });
  let done = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const consumer = await createEventConsumer({
    brokers: values.brokers.split(','),
    clientId: 'consume-cli',
    logger,
    groupId: values.group,
    topics: [values.topic],
    fromBeginning: true,
    onEvent: async (event) => {
      if (done || !(event.value.includes(match) || event.key === match)) return;
      done = true;
      process.stdout.write(`${JSON.stringify(event)}\n`);
      finish(0);
    },
  });
  const timer = setTimeout(() => finish(1), Number(values['timeout-ms']));
  const code = await finished;
  clearTimeout(timer);
  await consumer.close();
  if (code !== 0) process.stderr.write(`no event matching ${match} within ${values['timeout-ms']} ms\n`);
  process.exitCode = code;
}

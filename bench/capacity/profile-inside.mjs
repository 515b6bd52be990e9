/* global fetch, setTimeout, WebSocket */
// Runs INSIDE a service container (`./lab profile SERVICE [SECONDS]` pipes it to `node -`): opens
// the inspector of the service's process (pid 1) with SIGUSR1, records a CPU profile for SECONDS
// over the inspector's WebSocket, closes the inspector again, and prints the top frames by self
// time as JSON lines, then the whole profile (.cpuprofile, for Chrome DevTools) base64 on one line.
// The inspector listens on 127.0.0.1 inside the container only, and only while this runs. pid 1 is
// docker-init (compose's `init: true`), which passes the signal on to the service's node process.
const seconds = Number(process.argv[2] ?? 20);
process.kill(1, 'SIGUSR1');

async function targets() {
  for (let i = 0; i < 50; i++) {
    try {
      const res = await fetch('http://127.0.0.1:9229/json/list');
      if (res.ok) return await res.json();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the inspector did not open on 127.0.0.1:9229');
}

const [target] = await targets();
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve, reject) => {
  ws.onopen = resolve;
  ws.onerror = reject;
});
let next = 0;
const waiting = new Map();
ws.onmessage = (event) => {
  const msg = JSON.parse(String(event.data));
  if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
};
const call = (method, params = {}) =>
  new Promise((resolve, reject) => {
    const id = ++next;
    waiting.set(id, (msg) => (msg.error ? reject(new Error(msg.error.message)) : resolve(msg.result)));
    ws.send(JSON.stringify({ id, method, params }));
  });

await call('Profiler.enable');
await call('Profiler.setSamplingInterval', { interval: 1000 });
await call('Profiler.start');
await new Promise((r) => setTimeout(r, seconds * 1000));
const { profile } = await call('Profiler.stop');
// Closing the inspector ends this very connection: nothing answers it, so the agent waits until the
// port no longer answers (at most 5 s) before it reports.
ws.send(
  JSON.stringify({
    id: ++next,
    method: 'Runtime.evaluate',
    params: { expression: "process.getBuiltinModule('node:inspector').close()" },
  }),
);
let closed = false;
for (let i = 0; i < 50 && !closed; i++) {
  await new Promise((r) => setTimeout(r, 100));
  closed = await fetch('http://127.0.0.1:9229/json/list').then(
    () => false,
    () => true,
  );
}
ws.close();
if (!closed) console.log('warning: the inspector still listens on 127.0.0.1:9229 inside the container');

// Self time per frame: samples are node ids, timeDeltas the µs before each sample.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const f = byId.get(id).callFrame;
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const where =
    f.url === ''
      ? ''
      : ` ${f.url.replace(/^file:\/\/\/app\//, '').replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')}:${f.lineNumber + 1}`;
  const key = `${f.functionName || '(anonymous)'}${where}`;
  self.set(key, (self.get(key) ?? 0) + dt);
});
// (idle) is the process asleep; the shares below are of the time it was awake.
const awake = total - (self.get('(idle)') ?? 0);
const pct = (x) => `${(x * 100).toFixed(1).padStart(5)} %`;
console.log(
  `${seconds} s profiled: the main thread ran ${Math.round(awake / 1000)} ms (${pct(awake / total).trim()} of the time).`,
);
console.log('Top frames by self time (% of the time it ran; (program) is native code, (garbage collector) GC):');
const top = [...self.entries()]
  .filter(([k]) => k !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, 20);
for (const [frame, us] of top)
  console.log(`  ${pct(us / awake)}  ${String(Math.round(us / 1000)).padStart(6)} ms  ${frame}`);
console.log(`PROFILE ${Buffer.from(JSON.stringify(profile)).toString('base64')}`);

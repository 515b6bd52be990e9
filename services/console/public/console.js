// The lab console's page script: draws the view model the console pushes over /events (SSE).
// Plain DOM and SVG, no framework and nothing fetched from elsewhere (see the service README).
/* global document, window, EventSource, FormData, fetch */
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const HOST_COLOURS = ['#2f6fdf', '#d9822b', '#7a4fd0', '#1f9d8b', '#c23b6e', '#6b8e23'];
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

const fmt = (n, digits = 1) => (n === undefined || n === null ? '-' : Number(n).toFixed(digits));
const pct = (n, digits = 1) => (n === undefined ? '-' : `${(n * 100).toFixed(digits)} %`);

function rows(tbody, list, cells, attrs = () => ({})) {
  tbody.replaceChildren(
    ...list.map((item) => {
      const tr = el('tr', attrs(item));
      for (const c of cells(item)) tr.append(el('td', {}, c));
      return tr;
    }),
  );
}

function drawTopology(view) {
  const box = $('topology');
  const at = new Map(view.nodes.map((n) => [n.id, n]));
  const parts = [];
  for (const e of view.edges) {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) continue;
    const failing = (e.errorRate ?? 0) > 0.01;
    parts.push(svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: failing ? 'edge failing' : 'edge' }));
    if (e.rate !== undefined) {
      const label = `${fmt(e.rate)}/s${failing ? ` (${fmt(e.errorRate)} err)` : ''}`;
      parts.push(svg('text', { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 4, class: 'edge-label' }, label));
    }
  }
  for (const n of view.nodes) {
    const g = svg('g', { class: `node ${n.health}`, 'data-testid': `node-${n.id}`, 'data-health': n.health });
    g.append(svg('title', {}, `${n.label}: ${n.healthLabel} (${n.detail})`));
    g.append(svg('rect', { x: n.x - 70, y: n.y - 26, width: 140, height: 52, rx: 8 }));
    g.append(svg('text', { x: n.x, y: n.y - 8, class: 'name' }, n.label));
    g.append(svg('text', { x: n.x, y: n.y + 7, class: 'state' }, n.healthLabel));
    g.append(svg('text', { x: n.x, y: n.y + 20, class: 'detail' }, n.detail));
    parts.push(g);
  }
  box.replaceChildren(...parts);
}

function arcPath(start, end, r, cx, cy) {
  const a0 = start * 2 * Math.PI - Math.PI / 2;
  const a1 = end * 2 * Math.PI - Math.PI / 2;
  const large = end - start > 0.5 ? 1 : 0;
  const p = (a) => `${cx + r * Math.cos(a)} ${cy + r * Math.sin(a)}`;
  return `M ${p(a0)} A ${r} ${r} 0 ${large} 1 ${p(a1)}`;
}

function drawLb(lb) {
  $('lb-strategy').textContent = lb.ok ? lb.strategy : `unreadable (${lb.error})`;
  $('lb-hashkey').textContent = lb.hashKey ?? '-';
  $('lb-panic').textContent = lb.panicking ? 'PANIC: fewer healthy hosts than the threshold' : '';
  rows(
    $('lb-hosts'),
    lb.hosts,
    (h) => [h.id, h.stateLabel, fmt(h.weight, 0), h.inflight, fmt(h.rate), fmt(h.errorRate, 2)],
    (h) => ({ 'data-testid': `host-${h.id}`, 'data-state': h.state, class: `host ${h.state}` }),
  );
  const ring = lb.ring;
  $('ring-box').hidden = ring === undefined;
  if (ring === undefined) return;
  $('ring-name').textContent = ring.strategy;
  const colour = new Map(ring.shares.map((s, i) => [s.host, HOST_COLOURS[i % HOST_COLOURS.length]]));
  $('ring').replaceChildren(
    svg('circle', { cx: 120, cy: 120, r: 90, class: 'ring-base' }),
    ...ring.arcs.map((a) =>
      svg('path', { d: arcPath(a.start, a.end, 90, 120, 120), stroke: colour.get(a.host) ?? '#999', class: 'arc' }),
    ),
    svg('text', { x: 120, y: 124, class: 'ring-centre' }, `${ring.shares.length} hosts`),
  );
  $('ring-shares').replaceChildren(
    ...ring.shares.map((s) => {
      const li = el('li', {}, ` ${s.host}: ${pct(s.share)} of keys`);
      const swatch = el('span', { class: 'swatch' });
      swatch.style.background = colour.get(s.host); // CSSOM, not a style attribute: the CSP allows it
      li.prepend(swatch);
      return li;
    }),
  );
}

function drawBilling(b) {
  $('billing-leader').textContent = b.leader ? b.leader.node : 'none';
  $('billing-token').textContent = b.leader?.token ?? '-';
  $('billing-rates').textContent =
    `charges ${fmt(b.chargesPerSecond, 2)}/s · fence rejections ${fmt(b.fenceRejectionsPerSecond, 2)}/s`;
  $('billing-replicas').replaceChildren(...b.replicas.map((r) => el('li', {}, `${r.node}: ${r.role}`)));
  $('billing-history').replaceChildren(
    ...b.history.map((t) => el('li', {}, `${t.node}, token ${t.token ?? '-'}, since ${t.since ?? '-'}`)),
  );
}

function drawShards(s) {
  $('shard-meta').textContent = s.ok
    ? `version ${s.version}, ${s.assignments.length} partitions; last change: ${s.reason} (${s.updatedAt})`
    : `unreadable (${s.error})`;
  const moved = new Set(s.moved);
  $('shard-grid').replaceChildren(
    ...s.assignments.map((shard, p) =>
      el(
        'span',
        {
          class: `cell shard-${shard % 4}${moved.has(p) ? ' moved' : ''}`,
          title: `partition ${p} on shard ${shard}${moved.has(p) ? ' (just moved)' : ''}`,
        },
        `${p}:${shard}`,
      ),
    ),
  );
  rows($('shard-table'), s.perShard, (x) => [
    x.shard,
    x.partitions,
    x.replicaLagSeconds === undefined ? '-' : `${fmt(x.replicaLagSeconds, 2)} s`,
    x.outboxPending ?? '-',
    x.relayLeader ?? '-',
  ]);
}

function drawLimiter(l) {
  $('limiter-summary').textContent = l.ok ? l.summary : `rules unreadable (${l.error})`;
  rows(
    $('limiter-table'),
    l.rules,
    (r) => [r.rule, r.policy, r.modeLabel, r.failModeLabel, r.scope, fmt(r.admitted, 2), fmt(r.limited, 2)],
    (r) => ({ 'data-testid': `limiter-rule-${r.rule}`, 'data-mode': r.mode, class: `rule ${r.mode}` }),
  );
}

function drawSlos(s) {
  rows(
    $('slo-table'),
    s.rows,
    (r) => [
      r.slo === r.routeClass ? r.slo : `${r.slo} (${r.routeClass})`,
      r.sli,
      r.objectiveLabel,
      // Two decimals: 99.95 % and 100 % are different answers to a 99.9 % objective.
      pct(r.good5m, 2),
      pct(r.good1h, 2),
      r.burnRate1h === undefined ? '-' : `${fmt(r.burnRate1h, 2)}x`,
      pct(r.budgetRemaining),
      r.statusLabel,
    ],
    (r) => ({ 'data-testid': `slo-${r.slo}-${r.sli}`, 'data-status': r.status, class: `slo ${r.status}` }),
  );
}

function drawMoves(moves) {
  rows(
    $('moves-table'),
    moves.rows,
    (m) => [m.partition, `${m.from} → ${m.to}`, m.stateLabel, m.node, m.detail],
    (m) => ({ 'data-testid': `move-${m.partition}`, 'data-state': m.state, class: `move ${m.state}` }),
  );
}

function drawRest(view) {
  drawMoves(view.moves);
  rows(
    $('cache-table'),
    view.cache.entities,
    (c) => [c.entity, c.modeLabel ?? '-', pct(c.hitRatio)],
    (c) => ({
      'data-testid': `cache-${c.entity}`,
      'data-mode': c.mode ?? '',
    }),
  );
  rows($('write-back-table'), view.cache.writeBack, (w) => [
    w.entity,
    w.pending,
    w.waiting,
    w.perNode.length ? w.perNode.map((n) => `${n.node} ${n.flushing}`).join(', ') : '-',
  ]);
  rows(
    $('consumer-table'),
    view.events.rows,
    (r) => [r.group, r.topic, r.assigned ?? r.reporting, r.lag ?? '-', r.maxPartitionLag ?? '-', r.stateLabel],
    (r) => ({ 'data-testid': `lag-${r.group}-${r.topic}`, 'data-state': r.state, class: `lag ${r.state}` }),
  );
  $('cache-fills').textContent = view.cache.fills.length
    ? `fill leases/s: ${view.cache.fills.map((f) => `${f.outcome} ${fmt(f.perSecond, 2)}`).join(', ')}`
    : '';
  drawLimiter(view.limiter);
  drawSlos(view.slos);
  $('faults-now').textContent = view.faults.ok
    ? `now: ${Object.entries(view.faults.flags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`
    : `unreadable (${view.faults.error})`;
  $('actions').replaceChildren(
    ...view.actions.map((a) =>
      el('li', { class: a.ok ? 'ok' : 'failed' }, `${a.at} ${a.action}: ${a.ok ? 'done' : 'refused'} ${a.detail}`),
    ),
  );
  $('problems').replaceChildren(...view.problems.map((p) => el('p', {}, `Cannot read ${p}`)));
}

function render(view) {
  $('updated').textContent = new Date(view.at).toLocaleTimeString();
  drawTopology(view);
  drawLb(view.lb);
  drawBilling(view.billing);
  drawShards(view.shards);
  drawRest(view);
}

async function post(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) window.alert(`Refused: ${answer.code ?? res.status} ${JSON.stringify(answer.details ?? '')}`);
  return res.ok;
}

function wireControls() {
  $('lb-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const strategy = form.get('strategy');
    const hashKey = String(form.get('hashKey') ?? '').trim();
    if (!window.confirm(`Switch the lb to ${strategy}${hashKey ? ` (hash key ${hashKey})` : ''}?`)) return;
    void post('POST', '/api/lb/strategy', hashKey ? { strategy, hashKey } : { strategy });
  });
  $('faults-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const patch = {};
    for (const [k, v] of new FormData(event.target)) if (v !== '') patch[k] = Number(v);
    if (Object.keys(patch).length === 0) return;
    if (!window.confirm(`Set the payments fault flags ${JSON.stringify(patch)}?`)) return;
    void post('POST', '/api/payments/faults', patch);
  });
  $('faults-reset').addEventListener('click', () => {
    if (window.confirm('Reset the payments fault flags to the environment?'))
      void post('DELETE', '/api/payments/faults');
  });
  $('move-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { partition: Number(form.get('partition')), toShard: Number(form.get('toShard')) };
    if (!window.confirm(`Move partition ${body.partition} to shard ${body.toShard} (online, writes held briefly)?`))
      return;
    void post('POST', '/api/partition-moves', body);
  });
}

// Game days: the page calls the agent on the host directly (the console's cookie goes along: same
// host, another port); without it the panel says how to start it.
function gamedays() {
  const box = $('gamedays');
  const agent = `${window.location.protocol}//${window.location.hostname}:${box.dataset.agentPort}`;
  const call = async (method, path, body) => {
    const res = await fetch(`${agent}${path}`, {
      method,
      credentials: 'include',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(`${answer.code ?? res.status}: ${answer.detail ?? ''}`);
    return answer;
  };
  const show = (run) => {
    if (!run) {
      $('gameday-state').textContent = 'No game day started from here yet.';
      $('gameday-lines').textContent = '';
      return;
    }
    const state = run.state === 'running' ? 'RUNNING' : run.state.replace(/-/g, ' ').toUpperCase();
    $('gameday-state').replaceChildren(
      el('strong', { 'data-testid': 'gameday-verdict', 'data-state': run.state }, state),
      ` ${run.name}${run.short ? ' (short)' : ''}, started ${new Date(run.startedAt).toLocaleTimeString()} `,
    );
    if (run.report)
      $('gameday-state').append(
        el('a', { href: `${agent}/reports/${run.report}/report.html`, target: '_blank', rel: 'noopener' }, 'report'),
      );
    $('gameday-lines').textContent = run.lines.slice(-12).join('\n');
  };
  let listed = false;
  const refresh = async () => {
    try {
      const { experiments, run } = await call('GET', '/gamedays');
      if (!listed) {
        $('gameday-form').elements.name.replaceChildren(
          ...experiments.map((e) => el('option', { value: e.name }, `${e.name}: ${e.title}`)),
        );
        listed = true;
      }
      $('gameday-agent').textContent = `Game-day agent at ${agent}: ${experiments.length} experiments.`;
      $('gameday-form').hidden = false;
      show(run);
      return true;
    } catch {
      const retry = el('button', { type: 'button', 'data-testid': 'gameday-retry' }, 'look again');
      retry.addEventListener('click', () => void watch());
      $('gameday-agent').replaceChildren(
        `No game-day agent answers at ${agent}. Start it on the host (./lab console --gamedays), then `,
        retry,
      );
      $('gameday-form').hidden = true;
      return false;
    }
  };
  // Polled every 2 s while the agent answers, not while it is absent (each refused connection is an
  // error in the browser's console): the button looks again.
  let timer;
  const watch = async () => {
    window.clearInterval(timer);
    if (!(await refresh())) return;
    timer = window.setInterval(async () => {
      if (!(await refresh())) window.clearInterval(timer);
    }, 2000);
  };
  $('gameday-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { name: String(form.get('name')), short: form.get('short') === 'on' };
    if (
      !window.confirm(
        `Start the game day ${body.name}${body.short ? ' (short form)' : ''}? It injects faults into the cluster.`,
      )
    )
      return;
    call('POST', '/gamedays', body).then(show, (err) => window.alert(`Refused: ${err.message}`));
  });
  $('gameday-stop').addEventListener('click', () => {
    if (window.confirm('Stop the running game day? Its rollbacks still run.'))
      call('POST', '/gamedays/stop').then(show, (err) => window.alert(`Refused: ${err.message}`));
  });
  void watch();
}

function connect() {
  const events = new EventSource('/events');
  events.addEventListener('view', (e) => render(JSON.parse(e.data)));
  events.addEventListener('open', () => ($('conn').textContent = 'live'));
  events.addEventListener('error', () => ($('conn').textContent = 'reconnecting…'));
}

document.addEventListener('DOMContentLoaded', () => {
  const initial = JSON.parse($('initial-view').textContent);
  render(initial);
  if (initial.lb.strategy) $('lb-form').elements.strategy.value = initial.lb.strategy;
  wireControls();
  gamedays();
  connect();
});

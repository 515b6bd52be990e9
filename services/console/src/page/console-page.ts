// The lb's own list (one place): the page offers exactly what PUT /admin/lb/strategy accepts.
import { strategyNames } from '@sdl/lb/dist/strategies/strategy.js';
import type { ConsoleView } from '../view/view-model.js';

/** JSON safe inside a <script> element (no `</script>` or `<!--` can close it). */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The page: panels and controls rendered here, the live parts drawn by /static/console.js from the
 * view model (inlined for the first paint, then pushed over /events). No inline script or style, so
 * the Content-Security-Policy can forbid them.
 */
export function renderPage(view: ConsoleView, page: { readonly gamedayAgentPort: number }): string {
  const options = strategyNames.map((s) => `<option value="${s}">${s}</option>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>System Design Lab console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/console.css">
<script src="/static/console.js" defer></script>
</head>
<body>
<header>
  <h1>System Design Lab console</h1>
  <p class="meta"><span id="conn" data-testid="connection">connecting…</span> · updated <time id="updated">-</time></p>
</header>
<div id="problems" role="status" data-testid="problems"></div>
<main>
  <section class="panel wide" aria-labelledby="h-topo">
    <h2 id="h-topo">Topology</h2>
    <svg id="topology" data-testid="topology" viewBox="0 0 960 500" role="img" aria-label="cluster topology"></svg>
    <p class="legend">Each node shows its state in words: UP, DEGRADED, DOWN, NO PROBE (nothing measures it). Edge labels: requests/s (errors/s).</p>
  </section>
  <section class="panel" aria-labelledby="h-lb">
    <h2 id="h-lb">Load balancer</h2>
    <p>Strategy <strong id="lb-strategy" data-testid="lb-strategy">-</strong>, hash key <code id="lb-hashkey">-</code> <span id="lb-panic"></span></p>
    <form id="lb-form" class="control">
      <label>strategy <select name="strategy" data-testid="strategy-select">${options}</select></label>
      <label>hash key <input name="hashKey" placeholder="client | header:x | path:0" size="14"></label>
      <button type="submit" data-testid="strategy-apply">Switch</button>
    </form>
    <table data-testid="lb-hosts"><thead><tr><th>host</th><th>state</th><th>weight</th><th>in flight</th><th>req/s</th><th>err/s</th></tr></thead><tbody id="lb-hosts"></tbody></table>
    <div id="ring-box" hidden><h3>Key space (<span id="ring-name"></span>)</h3><svg id="ring" data-testid="ring" viewBox="0 0 240 240" role="img" aria-label="hash ring"></svg><ul id="ring-shares"></ul></div>
  </section>
  <section class="panel" aria-labelledby="h-billing">
    <h2 id="h-billing">Billing leader</h2>
    <p>Leader <strong id="billing-leader" data-testid="billing-leader">-</strong>, fencing token <code id="billing-token">-</code></p>
    <p id="billing-rates"></p>
    <ul id="billing-replicas"></ul>
    <h3>Leaders seen</h3><ol id="billing-history" data-testid="billing-history"></ol>
  </section>
  <section class="panel" aria-labelledby="h-shards">
    <h2 id="h-shards">Shard map</h2>
    <p id="shard-meta"></p>
    <div id="shard-grid" data-testid="shard-grid" class="grid"></div>
    <table><thead><tr><th>shard</th><th>partitions</th><th>replica lag</th><th>outbox</th><th>relay</th></tr></thead><tbody id="shard-table"></tbody></table>
    <form id="move-form" class="control">
      <label>partition <input name="partition" type="number" min="0" max="63" required size="4" data-testid="move-partition"></label>
      <label>to shard <input name="toShard" type="number" min="0" max="15" required size="3" data-testid="move-shard"></label>
      <button type="submit" data-testid="move-apply">Move</button>
    </form>
    <table data-testid="moves"><thead><tr><th>partition</th><th>from → to</th><th>state</th><th>node</th><th>detail</th></tr></thead><tbody id="moves-table"></tbody></table>
    <p class="note">A move runs inside an api node (its admin listener; <code>./lab shard move P SHARD</code> runs the same one): copy, catch up, a short fence on the partition's writes, then the map switches in etcd and the grid above shows it.</p>
  </section>
  <section class="panel" aria-labelledby="h-cache">
    <h2 id="h-cache">Cache</h2>
    <table data-testid="cache-entities"><thead><tr><th>entity</th><th>mode</th><th>hit ratio (1 m)</th></tr></thead><tbody id="cache-table"></tbody></table>
    <p id="cache-fills"></p>
    <h3>Write-back backlog</h3>
    <table data-testid="write-back" class="wraps"><thead><tr><th>entity</th><th>not yet in Postgres</th><th>waiting</th><th>in a node's flush</th></tr></thead><tbody id="write-back-table"></tbody></table>
    <p class="note">Dirty entries in Redis that a node's flush (every <code>VIEWS_FLUSH_MS</code>) has not written to Postgres yet: what a Redis crash would lose.</p>
  </section>
  <section class="panel span2" aria-labelledby="h-events">
    <h2 id="h-events">Events: consumer lag</h2>
    <table data-testid="consumer-lag"><thead><tr><th>group</th><th>topic</th><th>partitions</th><th>lag</th><th>worst partition</th><th>state</th></tr></thead><tbody id="consumer-table"></tbody></table>
    <p class="note">Messages a group has not committed, as its members compute them on each fetch (high watermark minus the next offset). The outbox backlog and relay leader of each shard are in the shard table.</p>
  </section>
  <section class="panel wide" aria-labelledby="h-slos">
    <h2 id="h-slos">SLOs and error budget</h2>
    <table class="slos"><thead><tr><th>SLO (route class)</th><th>SLI</th><th>objective</th><th>good 5 m</th><th>good 1 h</th><th>burn rate 1 h</th><th>budget left</th><th>status</th></tr></thead><tbody id="slo-table" data-testid="slo-rows"></tbody></table>
    <p class="note">From Prometheus's recording rules, generated from <code>infra/slo/slos.yaml</code>, the SLOs the game days judge by (measured at the gateway on <code>/v1/*</code>). Burn rate 1 spends the budget exactly over the SLO window; a row is BURNING while a burn-rate alert fires.</p>
  </section>
  <section class="panel wide" aria-labelledby="h-limiter">
    <h2 id="h-limiter">Rate limiter</h2>
    <p id="limiter-summary" data-testid="limiter-summary"></p>
    <table class="limiter"><thead><tr><th>rule</th><th>policy</th><th>mode</th><th>if its Redis fails</th><th>applies to</th><th>admitted/s</th><th>limited/s</th></tr></thead><tbody id="limiter-table" data-testid="limiter-rules"></tbody></table>
    <p class="note">Checks per second over 1 m, by the rule that decided (a gateway lease check covers a batch of requests); a shadow rule's figures are what it would have decided. Rules change by editing the ratelimiter's rules file (hot-reloaded).</p>
  </section>
  <section class="panel" aria-labelledby="h-faults">
    <h2 id="h-faults">Payments faults</h2>
    <form id="faults-form" class="control">
      <label>fail rate <input name="failRate" type="number" min="0" max="1" step="0.05" size="5"></label>
      <label>accept-timeout rate <input name="acceptTimeoutRate" type="number" min="0" max="1" step="0.05" size="5"></label>
      <label>slow ms <input name="slowMs" type="number" min="0" max="600000" step="100" size="6"></label>
      <button type="submit">Apply</button> <button type="button" id="faults-reset">Reset</button>
    </form>
    <p id="faults-now"></p>
  </section>
  <section class="panel" aria-labelledby="h-gamedays" id="gamedays" data-agent-port="${page.gamedayAgentPort}">
    <h2 id="h-gamedays">Game days</h2>
    <p id="gameday-agent" data-testid="gameday-agent">Looking for the game-day agent…</p>
    <form id="gameday-form" class="control" hidden>
      <label>experiment <select name="name" data-testid="gameday-select"></select></label>
      <label><input type="checkbox" name="short" checked> short form</label>
      <button type="submit" data-testid="gameday-start">Start</button> <button type="button" id="gameday-stop">Stop</button>
    </form>
    <p id="gameday-state" data-testid="gameday-state"></p>
    <pre id="gameday-lines" class="lines"></pre>
    <p class="note">Game days kill, pause and cut containers: Docker verbs, which the console container cannot run (a Docker socket would be root on the host). <code>./lab console --gamedays</code> runs a small agent on the host, on 127.0.0.1 only, that starts them for this page (the same <code>./lab gameday</code>, one at a time).</p>
  </section>
  <section class="panel" aria-labelledby="h-log">
    <h2 id="h-log">Actions</h2>
    <ol id="actions" data-testid="actions"></ol>
  </section>
</main>
<script type="application/json" id="initial-view">${inlineJson(view)}</script>
</body>
</html>
`;
}

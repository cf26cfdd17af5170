/**
 * The console's HTML: the sign-in page, the page a request without identity gets (401), and the
 * console itself — one document with inline CSS and script (no framework, nothing loaded from
 * elsewhere). The console renders `/console/api/overview` and then follows `/console/api/events`
 * (SSE) to stay live without reloading; actions POST with the `x-moe-console` header.
 */

const STYLE = `
  :root { --bad: #b00020; --good: #11772d; --warn: #9a6700; --line: #ddd; --soft: #f5f5f5; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #222; }
  header { display: flex; gap: 1rem; align-items: baseline; padding: .7rem 1.2rem; background: #1f2933; color: #fff; }
  header h1 { font-size: 1.1rem; margin: 0; }
  header nav a { color: #cbd2d9; margin-right: .8rem; text-decoration: none; }
  header .who { margin-left: auto; color: #cbd2d9; }
  header button { margin-left: .5rem; }
  main { padding: .5rem 1.2rem 2rem; max-width: 90rem; }
  h2 { font-size: 1.02rem; margin: 1.3rem 0 .4rem; }
  h3 { font-size: .95rem; margin: .9rem 0 .3rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .25rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { background: var(--soft); font-weight: 600; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .live, .held, .done { color: var(--good); font-weight: 600; }
  .dead, .failed, .released { color: var(--bad); font-weight: 600; }
  .suspect, .waiting, .expired { color: var(--warn); font-weight: 600; }
  .running { color: #0b5cad; font-weight: 600; }
  .muted { color: #777; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(34rem, 1fr)); gap: 0 1.5rem; }
  .bar { display: inline-block; height: .6rem; background: #4c8bf5; vertical-align: middle; margin-right: .4rem; }
  #detail { border: 1px solid var(--line); background: #fcfcfc; padding: .6rem 1rem; margin-top: .8rem; display: none; }
  #detail pre { white-space: pre-wrap; word-break: break-word; background: var(--soft); padding: .5rem; max-height: 18rem; overflow: auto; }
  #status { font-size: .85rem; }
  #problem { color: var(--bad); }
  button { font: inherit; padding: .1rem .6rem; cursor: pointer; }
  tr.pick { cursor: pointer; }
  .charts { display: flex; flex-wrap: wrap; gap: 1.2rem; margin: .4rem 0 .6rem; }
  figure.chart { margin: 0; border: 1px solid var(--line); padding: .3rem .5rem; }
  figure.chart figcaption { font-size: .85rem; }
  figure.chart .axis { font-size: .75rem; }
  tr.pick:hover { background: #eef4ff; }
`;

export const CONSOLE_LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>MOE-Agents console: sign in</title><style>${STYLE} form { margin: .8rem 0 1.5rem; } input { font: inherit; margin: .2rem 0; }</style></head>
<body><header><h1>MOE-Agents console</h1></header><main>
<h2>Sign in with your account</h2>
<form id="account"><label>Email <input id="email" type="email" autocomplete="username" required></label>
<label>Password <input id="password" type="password" autocomplete="current-password" required></label>
<button id="signin">Sign in</button></form>
<h2>… or with a token</h2>
<p class="muted">The operator token (MOE_OPERATOR_TOKEN) or an API key (moe_…).</p>
<form id="tokenForm"><input id="token" type="password" autocomplete="off" size="48" required> <button id="usetoken">Use token</button></form>
<p id="problem"></p>
<script>
const problem = (m) => { document.getElementById('problem').textContent = m; };
async function session(token) {
  const res = await fetch('/console/api/session', { method: 'POST', headers: { authorization: 'Bearer ' + token, 'x-moe-console': '1' } });
  if (!res.ok) { const b = await res.json().catch(() => ({})); throw new Error(b.error ? b.error.message : res.statusText); }
  location.href = '/console';
}
document.getElementById('account').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const res = await fetch('/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: document.getElementById('email').value, password: document.getElementById('password').value }) });
    const b = await res.json();
    if (!res.ok) throw new Error(b.error ? b.error.message : res.statusText);
    await session(b.token);
  } catch (err) { problem('refused: ' + err.message); }
});
document.getElementById('tokenForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  try { await session(document.getElementById('token').value); } catch (err) { problem('refused: ' + err.message); }
});
</script></main></body></html>
`;

export const CONSOLE_REFUSED_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MOE-Agents console: sign in first</title><style>${STYLE}</style></head>
<body><header><h1>MOE-Agents console</h1></header><main><h2 id="refused">Sign in first</h2>
<p>The console needs an operator identity. <a href="/console/login">Sign in</a>.</p></main></body></html>
`;

export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MOE-Agents console</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>MOE-Agents console</h1>
<nav><a href="#nodes-h">Nodes</a><a href="#workspaces-h">Workspaces</a><a href="#tasks-h">Tasks</a><a href="#costs-h">Costs</a><a href="#providers-h">Providers</a><a href="#dlq-h">Dead letters</a><a href="#streams-h">Streams</a><a href="#audit-h">Audit</a></nav>
<span class="who"><span id="who">…</span> <span id="status" class="muted">connecting…</span><button id="logout">Sign out</button></span>
</header>
<main>
<p id="problem"></p>
<div id="detail"></div>
<h2 id="nodes-h">Nodes</h2><div id="cluster" class="muted"></div><div id="nodes"></div>
<h2 id="workspaces-h">Workspaces</h2><div id="workspaces"><div id="ws-list"></div><h3 id="stopped-h">Stopped actors</h3><div id="stopped"></div><h3>Sessions</h3><div id="sessions"></div></div>
<h2 id="tasks-h">Tasks</h2><div id="tasks"><h3>Waiting for approval</h3><div id="tasks-waiting"></div><h3>Running</h3><div id="tasks-running"></div>
<h3>Queued</h3><div id="tasks-queued"></div><h3>Recent</h3><div id="tasks-recent"></div></div>
<h2 id="costs-h">Costs</h2><div id="costs"></div>
<h2 id="providers-h">Providers</h2><div id="providers"></div>
<h2 id="dlq-h">Dead letters</h2><div id="dlq"></div>
<h2 id="streams-h">Streams and consumers</h2><div id="streams"></div>
<h2 id="audit-h">Audit log</h2><div id="audit"></div>
<script>
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v == null ? '' : v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const secs = (ms) => (ms == null ? '–' : (ms / 1000).toFixed(1) + ' s');
const money = (m) => (m == null ? '–' : '$' + (m / 1e6).toFixed(4));
const ms = (v) => (v == null ? '–' : (v < 10 ? v.toFixed(1) : Math.round(v)) + ' ms');
const mib = (b) => (b == null ? '–' : Math.round(b / 1048576) + ' MiB');
const when = (at) => (at == null ? '–' : new Date(at).toLocaleTimeString());
const tag = (cls, text) => '<span class="' + esc(cls) + '">' + esc(text) + '</span>';
const named = (name, id) => '<span title="' + esc(id) + '">' + esc(name) + '</span>';
function table(head, rows, attrs) {
  if (!rows.length) return '<p class="muted">none</p>';
  return '<table><tr>' + head.map((h) => '<th' + (h.startsWith('#') ? ' class="num">' + esc(h.slice(1)) : '>' + esc(h)) + '</th>').join('') + '</tr>' +
    rows.map((r, i) => '<tr' + (attrs ? attrs[i] : '') + '>' + r.map((c, j) => '<td' + (head[j].startsWith('#') ? ' class="num"' : '') + '>' + c + '</td>').join('') + '</tr>').join('') + '</table>';
}
/**
 * Sets a part of the page to \`html\` unless it already shows it. The live view sends the whole
 * overview about every second (a node's heartbeat age changes each time): replacing every table
 * each time replaced the row or button under the user's pointer, and a press whose element was
 * replaced before its release clicks no row, so the click was lost. Only the parts that changed
 * are replaced, and the clickable tables (tasks, dead letters, stopped actors) are parts of their
 * own, apart from the ones that change every second.
 */
const shown = new Map();
function put(id, html) {
  if (shown.get(id) === html) return;
  shown.set(id, html);
  $(id).innerHTML = html;
}
async function act(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-moe-console': '1' }, body: JSON.stringify(body || {}) });
  const b = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(b.error ? b.error.code + ': ' + b.error.message : res.statusText);
  return b;
}
function render(s) {
  $('who').textContent = s.viewer.name + (s.viewer.operator ? ' (operator)' : ' (' + s.viewer.orgs.map((o) => o.name + ': ' + o.role).join(', ') + ')');
  $('cluster').textContent = s.cluster.ok ? 'supervisor ' + s.cluster.supervisor + ' — dead after ' + secs(s.cluster.staleMs) +
    ' without heartbeat, then listed ' + secs(s.cluster.deadNodeTtlMs) + ' more' : s.cluster.why;
  put('nodes', table(['node', 'state', 'last heartbeat', '#turns/s', '#turn p50', '#turn p99', '#memory', '#backlog', 'workspaces'], s.nodes.map((n) => [esc(n.id),
    tag(n.state, n.state) + (n.draining ? ' ' + tag('muted', 'draining') : '') + (n.degraded.length ? ' ' + tag('suspect', 'degraded') : ''),
    secs(n.ageMs) + ' ago', '<span class="tps">' + (n.stats ? n.stats.turnsPerSec.toFixed(2) : '–') + '</span>',
    '<span class="p50">' + ms(n.stats && n.stats.turnP50Ms) + '</span>', '<span class="p99">' + ms(n.stats && n.stats.turnP99Ms) + '</span>',
    '<span class="mem">' + mib(n.stats && n.stats.rssBytes) + '</span>', n.backlog == null ? '–' : n.backlog,
    n.workspaces.map((w) => named(w.orgName + ' / ' + w.wsName, w.key)).join(', ')]),
    s.nodes.map((n) => ' data-node="' + esc(n.id) + '" data-state="' + esc(n.state) + '"')));
  const escalatedTo = (a) => {
    if (!a.to) return '–';
    const r = a.routing;
    const how = !r ? '' : r.state === 'routing' ? ' (routing…)' : r.routedTo === 'coordinator'
      ? ' → ' + (r.coordinators || []).length + ' coordinator(s)' : ' → webhook (' + (r.endpoints || 0) + ' endpoint(s))';
    return '<span class="escalated-to" data-to="' + esc(a.to) + '">' + esc(a.to + how) + '</span>';
  };
  const phases = (c, what) => c == null ? '–' : '<span class="' + what + '">' + [['running', 'running'], ['waiting', 'waiting'], ['failed', 'failed']]
    .map(([k, cls]) => c[k] ? tag(cls, c[k] + ' ' + (k === 'waiting' ? 'waiting for approval' : k)) : '').filter(Boolean).join(', ') + (c.done ? ' ' + tag('muted', c.done + ' done') : '') + '</span>';
  put('ws-list', table(['org', 'workspace', 'holder', 'lease', 'epoch', 'lease left', '#backlog', 'last backup', 'sessions', 'agents', 'coordinators'],
    s.workspaces.map((w) => [named(w.orgName, w.org), named(w.wsName, w.ws), w.holder ? esc(w.holder) : tag('muted', 'none'),
      w.lease ? tag(w.lease, w.lease) : '–', esc(w.epoch == null ? '–' : w.epoch), w.lease === 'held' ? secs(w.leaseRemainingMs) : '–',
      esc(w.backlog == null ? '–' : w.backlog), w.backup && w.backup.ageMs != null ? secs(w.backup.ageMs) + ' ago' : '–',
      w.actors ? '<span class="sessions">' + w.actors.sessions.open + ' open' + (w.actors.sessions.expired ? ', ' + tag('expired', w.actors.sessions.expired + ' expired') : '') + '</span>' : '–',
      phases(w.actors && w.actors.agents, 'agents'), phases(w.actors && w.actors.coordinators, 'coordinators')]),
    s.workspaces.map((w) => ' data-ws="' + esc(w.workspace) + '"')));
  put('stopped', table(['actor', 'org / workspace', 'decided', 'escalated to', 'failure', '#restarts', 'at', ''],
      s.stoppedActors.map((a) => [esc(a.kind + ' ' + a.id), esc(a.orgName + ' / ' + a.wsName), tag('failed', a.action), escalatedTo(a), esc(a.code + ': ' + a.reason),
        a.restarts, when(a.at), a.canRestart ? '<button data-act="restart" data-actor="' + esc(a.actor) + '">Restart</button>' : tag('muted', 'admin needed')]),
      s.stoppedActors.map((a) => ' data-stopped="' + esc(a.actor) + '"')));
  put('sessions', table(['session', 'user', 'org / workspace', 'state', 'lease left'], s.sessions.map((x) => {
      const left = x.expiresAt == null ? null : x.expiresAt - s.at;
      const state = x.state;
      return [esc(x.title || x.id.slice(-8)), esc(x.userName || '–'), esc(x.orgName + ' / ' + x.wsName), tag(state === 'open' ? 'live' : state, state),
        state === 'open' && left != null ? (left >= 3600000 ? (left / 3600000).toFixed(1) + ' h' : secs(left)) : '–'];
    }), s.sessions.map((x) => ' data-session="' + esc(x.id) + '"')));
  const taskRows = (list) => table(['task', 'org / workspace / project', 'state', '#turns', '#LLM calls', '#tokens', '#cost'],
    list.map((t) => [esc(t.title || t.id.slice(-10)) + (t.kind === 'coordinator' ? ' ' + tag('muted', 'coordinator') : ''), esc(t.orgName + ' / ' + t.wsName + ' / ' + t.projectName), tag(t.phase, t.phase) + ' ' + tag('muted', t.state),
      t.turns, t.calls, t.tokens, '<span class="cost">' + money(t.costMicros) + '</span>']),
    list.map((t) => ' class="pick" data-task="' + esc(t.id) + '" data-phase="' + esc(t.phase) + '"'));
  put('tasks-waiting', taskRows(s.tasks.waiting));
  put('tasks-running', taskRows(s.tasks.running));
  put('tasks-queued', table(['task', 'org / workspace / project', 'waiting'], s.tasks.queued.map((q) => [esc(q.title || q.id.slice(-10)) +
      (q.kind === 'coordinator' ? ' ' + tag('muted', 'coordinator') : ''), esc(q.orgName + ' / ' + q.wsName + ' / ' + q.projectName), secs(q.ageMs)]),
      s.tasks.queued.map((q) => ' data-queued="' + esc(q.id) + '"')) +
    '<p class="muted">commands not yet applied, all kinds, over your workspaces: <span id="backlog">' + s.tasks.backlog + '</span></p>');
  put('tasks-recent', taskRows(s.tasks.recent));
  const c = s.costs;
  const costTable = (title, rows) => {
    const max = Math.max(1, ...rows.map((r) => r.costMicros || 0));
    return '<div><h3>' + esc(title) + '</h3>' + table(['', '#calls', '#tokens in/out', '#today', '#this period', '#cost', '#price'], rows.map((r) => [
      '<span class="bar" style="width:' + Math.round(60 * (r.costMicros || 0) / max) + 'px"></span>' + esc(r.label), r.calls,
      r.inputTokens + ' / ' + r.outputTokens, money(r.today.costMicros), money(r.period.costMicros), money(r.costMicros), money(r.priceMicros)])) + '</div>';
  };
  const ch = s.charts;
  put('costs', '<p>provider cost today (' + esc(c.today.day) + ', UTC) <b id="cost-today">' + money(c.today.costMicros) + '</b> (price ' + money(c.today.priceMicros) +
    '), this period (' + esc(c.period.month) + ') <b id="cost-period">' + money(c.period.costMicros) + '</b> (price ' + money(c.period.priceMicros) + ')</p>' +
    '<p>total provider cost <b id="cost-total">' + money(c.total.costMicros) + '</b>, price ' + money(c.total.priceMicros) +
    ', ' + c.total.calls + ' LLM calls' + (c.complete ? '' : ' ' + tag('suspect', 'incomplete')) + ' <span class="muted">(since the journal began)</span></p>' +
    '<div class="charts">' + (ch.throughput ? chart('chart-throughput', 'throughput (turns/s)', ch.throughput, (v) => v.toFixed(2)) : '') +
    (ch.latencyP99 ? chart('chart-latency', 'turn latency p99 (slowest node)', ch.latencyP99, (v) => ms(v)) : '') +
    chart('chart-cost', 'provider cost per ' + secs(ch.intervalMs), ch.cost, (v) => money(v)) + '</div>' +
    '<div class="grid">' + costTable('by org', c.byOrg) + costTable('by workspace', c.byWorkspace) + costTable('by provider', c.byProvider) + costTable('by model', c.byModel) + '</div>');
  const pct = (r) => (r == null ? '–' : (100 * r).toFixed(r > 0 && r < 0.1 ? 1 : 0) + '%');
  put('providers', s.providers == null ? '<p class="muted">operators only</p>' :
    '<p class="muted">as the live nodes report them, over each node’s last minute; latency: the slowest node</p>' +
    table(['provider / model', 'breaker', '#attempts', '#errors', '#429s', '#skipped', '#fallbacks taken', '#p50', '#p99'],
      s.providers.map((p) => [esc(p.provider + ' ' + p.model), tag(p.breaker === 'closed' ? 'live' : p.breaker === 'open' ? 'dead' : 'suspect', p.breaker) +
        (p.trippedOn.length ? ' ' + tag('muted', 'on ' + p.trippedOn.join(', ')) : ''), p.attempts,
        p.errors + ' (' + pct(p.errorRate) + ')', p.rateLimited + ' (' + pct(p.rateLimitedRate) + ')', p.skipped, p.fallbacks, ms(p.p50Ms), ms(p.p99Ms)]),
      s.providers.map((p) => ' data-provider="' + esc(p.key) + '" data-breaker="' + esc(p.breaker) + '"')));
  const d = s.deadLetters;
  put('dlq', '<p>' + d.total + ' dead letters; newest first:</p>' + table(['seq', 'org / workspace', 'code', 'reason', 'command subject', 'at'],
    d.letters.map((l) => [l.seq, esc(l.orgName + ' / ' + l.wsName), esc(l.code), esc(l.reason), esc(l.subject), when(l.at)]),
    d.letters.map((l) => ' class="pick" data-letter="' + l.seq + '"')));
  put('streams', s.streams == null ? '<p class="muted">operators only</p>' : table(['stream', '#messages', '#bytes', '#first seq (retention)', '#last seq', 'consumers (lag)'],
    s.streams.map((x) => [esc(x.name), x.messages, x.bytes, x.firstSeq, x.lastSeq,
      x.consumers.map((k) => esc(k.name) + ' ' + (k.lag ? tag('suspect', k.lag) : tag('muted', 0))).join('<br>') || '–'])));
  put('audit', table(['at', 'org', 'action', 'target', 'by', 'role'],
    s.audit.map((a) => [when(a.at), esc(a.orgName), esc(a.action), esc(a.target), esc(a.by), esc(a.role)])));
}
/** A small line chart of [at, value] points as inline SVG (no library): gaps where a value is null. */
function chart(id, title, points, fmt) {
  const W = 260, H = 64, P = 4;
  const vals = points.map((p) => p[1]).filter((v) => v != null);
  const last = vals.length ? vals[vals.length - 1] : null;
  const head = '<figure class="chart" id="' + id + '"><figcaption>' + esc(title) + ': <b class="last">' + (last == null ? '–' : esc(fmt(last))) + '</b></figcaption>';
  if (points.length < 2) return head + '<p class="muted">collecting…</p></figure>';
  const max = Math.max(...vals, 0) || 1;
  const t0 = points[0][0], t1 = points[points.length - 1][0] || t0 + 1;
  const x = (t) => (P + (W - 2 * P) * (t - t0) / Math.max(1, t1 - t0)).toFixed(1);
  const y = (v) => (H - P - (H - 2 * P) * v / max).toFixed(1);
  let d = '', pen = false;
  for (const [t, v] of points) { if (v == null) { pen = false; continue; } d += (pen ? 'L' : 'M') + x(t) + ' ' + y(v); pen = true; }
  return head + '<svg viewBox="0 0 ' + W + ' ' + H + '" width="' + W + '" height="' + H + '" role="img" aria-label="' + esc(title) + '">' +
    '<line x1="' + P + '" y1="' + (H - P) + '" x2="' + (W - P) + '" y2="' + (H - P) + '" stroke="#ccc"/>' +
    '<path d="' + d + '" fill="none" stroke="#4c8bf5" stroke-width="1.5"/></svg>' +
    '<div class="muted axis">max ' + esc(fmt(max)) + ' · ' + when(t0) + ' – ' + when(t1) + '</div></figure>';
}
function showDetail(html) { const d = $('detail'); d.innerHTML = html; d.style.display = 'block'; d.scrollIntoView({ block: 'nearest' }); }
async function openTask(id) {
  const res = await fetch('/console/api/tasks/' + encodeURIComponent(id));
  const t = await res.json();
  if (!res.ok) return showDetail('<p class="failed">' + esc(t.error ? t.error.message : res.statusText) + '</p>');
  const turns = table(['turn', 'command', 'state', 'events', 'effects', 'LLM calls'], t.timeline.map((r) => [r.turn, esc(r.command), esc(r.state),
    esc(r.events.join(', ')), esc(r.effects.join(', ')), r.llm.map((l) => esc(l.provider + ' ' + l.model + ': ' + l.tokens + ' tokens, ' + money(l.costMicros))).join('<br>')]));
  const decide = t.approval && t.canDecide ? '<p>waits for approval of ' + esc(t.approval.tools.join(', ')) +
    ' <button data-act="approve" data-id="' + esc(t.id) + '">Approve</button> <button data-act="deny" data-id="' + esc(t.id) + '">Deny</button></p>' : '';
  showDetail('<h3>Task ' + esc(t.id) + '</h3><p>' + esc(t.orgName + ' / ' + t.wsName + ' / ' + t.projectName) + ' — ' + tag(t.phase, t.phase) +
    ' — cost ' + money(t.costMicros) + '</p>' + decide + turns +
    (t.result != null ? '<h3>Result</h3><pre id="result">' + esc(t.result) + '</pre>' : '') +
    (t.failure ? '<p class="failed">' + esc(t.failure.code + ': ' + t.failure.reason) + '</p>' : ''));
}
async function openLetter(seq) {
  const res = await fetch('/console/api/dead-letters/' + seq);
  const l = await res.json();
  if (!res.ok) return showDetail('<p class="failed">' + esc(l.error ? l.error.message : res.statusText) + '</p>');
  const actions = l.canAct ? '<p><button data-act="redrive" data-seq="' + l.seq + '">Redrive</button> <button data-act="discard" data-seq="' + l.seq + '">Discard</button></p>'
    : '<p class="muted" id="no-actions">your role cannot redrive or discard (admin needed)</p>';
  showDetail('<h3>Dead letter ' + l.seq + '</h3><p>' + esc(l.orgName + ' / ' + l.wsName) + ' — <b>' + esc(l.code) + '</b>: ' + esc(l.reason) +
    (l.path ? ' at ' + esc(l.path) : '') + '</p><p>command subject ' + esc(l.subject) + ', ' + l.payloadBytes + ' bytes</p>' + actions +
    '<h3>Payload</h3><pre>' + esc(l.payload) + '</pre><h3>Headers</h3><pre>' + esc(JSON.stringify(l.headers, null, 2)) + '</pre>');
}
// The row under the last mouse press. A live update that changes a table (a new letter, a task's
// state) replaces its rows; a press that started on a row then ends on the new table, and the
// click lands on the table, not the row: it still opens the row that was pressed.
const ROWS = 'tr[data-task], tr[data-letter]';
let pressed = null;
document.addEventListener('mousedown', (e) => {
  const r = e.target.closest && e.target.closest(ROWS);
  pressed = r ? { task: r.dataset.task, letter: r.dataset.letter } : null;
});
document.addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-act]');
  try {
    if (b) {
      b.disabled = true;
      if (b.dataset.actor) { await act('/console/api/actors/' + encodeURIComponent(b.dataset.actor) + '/restart');
        showDetail('<p id="done">' + esc(b.dataset.actor) + ' restarted: its next command runs a turn (redrive the letters refused while it was stopped)</p>'); }
      else if (b.dataset.id) { await act('/console/api/tasks/' + encodeURIComponent(b.dataset.id) + '/' + b.dataset.act); await openTask(b.dataset.id); }
      else { const r = await act('/console/api/dead-letters/' + b.dataset.seq + '/' + b.dataset.act);
        showDetail('<p id="done">dead letter ' + r.seq + ' ' + (r.redriven ? 'redriven (command sequence ' + r.commandSeq + ')' : 'discarded') + '</p>'); }
      return;
    }
    const hit = e.target.closest(ROWS);
    const row = hit ? hit.dataset : e.target.closest('table') ? pressed : null;
    pressed = null;
    if (row && row.task) await openTask(row.task);
    else if (row && row.letter) await openLetter(row.letter);
  } catch (err) {
    if (b) b.disabled = false; // refused or failed: the user may try again (a part is replaced only when it changes)
    showDetail('<p class="failed" id="refusal">' + esc(err.message) + '</p>');
  }
});
$('logout').addEventListener('click', async () => { await fetch('/console/api/logout', { method: 'POST' }); location.href = '/console/login'; });
function live() {
  const es = new EventSource('/console/api/events');
  es.addEventListener('overview', (m) => { const s = JSON.parse(m.data); render(s); $('status').textContent = 'live ' + when(s.at); $('problem').textContent = ''; });
  es.addEventListener('problem', (m) => { $('problem').textContent = JSON.parse(m.data).message; });
  es.onerror = () => { $('status').textContent = 'reconnecting…'; };
}
fetch('/console/api/overview').then(async (res) => {
  if (res.status === 401) { location.href = '/console/login'; return; }
  const s = await res.json();
  if (!res.ok) throw new Error(s.error ? s.error.message : res.statusText);
  render(s);
  live();
}).catch((err) => { $('problem').textContent = err.message; });
</script>
</main>
</body>
</html>
`;

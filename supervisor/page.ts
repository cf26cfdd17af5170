/**
 * The dashboard page: one HTML document with inline CSS and script (no external assets). It renders
 * `/api/status` as tables — nodes, workspaces, backups, dead letters, streams — and refreshes every 2 s.
 * {@link LOGIN_PAGE} is what a request without the operator token gets instead.
 */

/** Asks for the operator token and posts it to `/login`, which sets it as a cookie. */
export const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MOE-Agents supervisor: sign in</title>
<style>body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; } #err { color: #b00020; }</style></head>
<body><h1>MOE-Agents supervisor</h1><p>The dashboard is for operators: enter the operator token (MOE_OPERATOR_TOKEN).</p>
<form id="f"><input id="t" type="password" autocomplete="off" size="40"> <button>Sign in</button></form><p id="err"></p>
<script>
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await fetch('login', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: document.getElementById('t').value }) });
  if (res.ok) location.reload(); else document.getElementById('err').textContent = 'refused';
});
</script></body></html>
`;

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MOE-Agents supervisor</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
  table { border-collapse: collapse; min-width: 40rem; }
  th, td { text-align: left; padding: .25rem .7rem; border-bottom: 1px solid #ddd; }
  th { background: #f4f4f4; }
  .live { color: #11772d; font-weight: 600; }
  .dead { color: #b00020; font-weight: 600; }
  .muted { color: #777; }
  #err { color: #b00020; }
</style>
</head>
<body>
<h1>MOE-Agents supervisor</h1>
<div id="meta" class="muted">loading…</div>
<div id="err"></div>
<h2>Nodes</h2><div id="nodes"></div>
<h2>Workspaces</h2><div id="workspaces"></div>
<h2>Backups</h2><div id="backups"></div>
<h2>Dead letters</h2><div id="dlq"></div>
<h2>Streams</h2><div id="streams"></div>
<script>
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const secs = (ms) => (ms == null ? '–' : (ms / 1000).toFixed(1) + ' s');
function table(head, rows) {
  if (!rows.length) return '<p class="muted">none</p>';
  return '<table><tr>' + head.map((h) => '<th>' + esc(h) + '</th>').join('') + '</tr>' +
    rows.map((r) => '<tr>' + r.map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('') + '</table>';
}
const state = (live) => (live ? '<span class="live">live</span>' : '<span class="dead">dead</span>');
const nodeState = (n) => (n.state === 'suspect' ? '<span class="dead">suspect</span>' : state(n.live)) + ((n.degraded || []).length
  ? ' <span class="dead" title="' + esc(n.degraded.join('\\n')) + '">degraded</span>' : '');
async function refresh() {
  try {
    const res = await fetch('api/status');
    const s = await res.json();
    if (!res.ok) throw new Error(s.error ? s.error.code + ': ' + s.error.message : res.statusText);
    document.getElementById('err').textContent = '';
    document.getElementById('meta').textContent = 'supervisor ' + s.supervisor.id + ' — ' +
      (s.supervisor.leader ? 'leader' : 'follower (leader: ' + (s.supervisor.leaderId || 'none') + ')') +
      ' — node dead after ' + secs(s.supervisor.staleMs) + ' without heartbeat — leases released: ' +
      s.supervisor.leasesReleased + ' — ' + new Date(s.at).toLocaleTimeString();
    document.getElementById('nodes').innerHTML = table(['node', 'state', 'last heartbeat', 'workspaces'],
      s.nodes.map((n) => [esc(n.id), nodeState(n), secs(n.ageMs) + ' ago', esc(n.workspaces.join(', '))]));
    document.getElementById('workspaces').innerHTML = table(['workspace', 'holder', 'epoch', 'lease left', 'backlog'],
      s.workspaces.map((w) => [esc(w.workspace), w.holder ? esc(w.holder) + ' ' + (w.lease === 'released' ? '<span class="muted">released</span>' : state(w.holderLive)) : '<span class="muted">none</span>',
        esc(w.epoch ?? '–'), secs(w.leaseRemainingMs), esc(w.backlog ?? '–')]));
    const ago = (at) => (at == null ? '–' : secs(s.at - at) + ' ago');
    const verify = (v) => (v ? (v.ok ? '<span class="live">ok</span>' : '<span class="dead">' + esc(v.code || 'failed') + '</span>') +
      ' ' + ago(v.at) + (v.scheduled ? ' (scheduled)' : '') : '<span class="muted">never</span>');
    const lag = (b) => (b.pending.mirror + b.pending.primary === 0 ? 'in sync'
      : '<span class="dead">' + b.pending.mirror + ' to mirror, ' + b.pending.primary + ' to primary, ' + secs(b.mirrorLagMs) + '</span>');
    document.getElementById('backups').innerHTML = table(['workspace', 'last good backup', 'age (RPO)', 'last verification', 'last failure', 'mirror lag', 'last restore'],
      s.workspaces.filter((w) => w.backup).map((w) => { const b = w.backup; return [esc(w.workspace),
        b.lastBackup ? esc(b.lastBackup.id) : '<span class="dead">none</span>', secs(b.ageMs), verify(b.lastVerify),
        b.lastFailure ? '<span class="dead">' + esc(b.lastFailure.code) + '</span> ' + ago(b.lastFailure.at) : '–', lag(b),
        b.restore ? esc(b.restore.backupId) + ' in ' + secs(b.restore.rtoMs) : '–']; }));
    document.getElementById('dlq').innerHTML = '<p>' + s.deadLetters.count + ' in MOE_DLQ; latest first:</p>' +
      table(['seq', 'code', 'subject', 'reason'], s.deadLetters.recent.map((d) => [d.seq, esc(d.code), esc(d.subject), esc(d.reason)]));
    document.getElementById('streams').innerHTML = table(['stream', 'messages', 'bytes', 'consumers'],
      s.streams.map((x) => [esc(x.name), x.messages, x.bytes, x.consumers]));
  } catch (e) {
    document.getElementById('err').textContent = 'status unavailable: ' + e.message;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;

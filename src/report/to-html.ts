import { findingWords, functionLocationText } from './finding-words.js';
import { diffWarningText } from './findings-text.js';
import { describeGcSource } from './gc-source-text.js';
import type { RunPhase, RunReport, SeriesTrend } from './model.js';
import { formatByteDelta, formatBytes, formatCount, formatCountDelta, formatDurationMs } from './units.js';
import { describeReason, outcomeTone, partialVerdictWords, reasonTone, type ReasonTone } from './verdict-words.js';

const toneClass: Record<ReasonTone, string> = { leak: 'bad', warning: 'warn', ok: 'ok' };

/** Escapes text for HTML element content and attribute values. Every string from a snapshot or target goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside <script>: no "</script>", no "<!--", no line separators. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * One self-contained page (no network, no CDN): the verdict and its reasons, a memory-over-time
 * chart drawn as SVG by inline JS from the embedded data (phase bands, GC and leak markers,
 * tooltips, toggles), and tables for phases, trends, findings with retainer paths, and HeapDiffs.
 */
export function renderRunHtml(report: RunReport): string {
  const v = report.verdict;
  const gcSource = describeGcSource(report.target);
  const outcomeClass = toneClass[outcomeTone(v.outcome)];
  const findings = report.analysis?.findings ?? [];
  const chartData = {
    samples: report.samples.filter((s) => !s.duringCheckpoint).map((s) => [s.atMs, s.rssBytes, s.heapUsedBytes, s.heapTotalBytes, s.externalBytes, s.arrayBuffersBytes]),
    checkpoints: report.checkpoints.map((c) => [c.atMs, c.heapUsedBytes, c.externalBytes, c.boundary ? 1 : 0, c.phase, c.rssBytes, c.heapTotalBytes, c.arrayBuffersBytes]),
    gcs: report.gcs.map((g) => [g.atMs, g.usedHeapBytes, g.forced ? 1 : 0, g.gcPauseNs]),
    phases: report.phases.map((p) => [p.name, p.kind, p.startMs, p.endMs]),
    leaks: report.memwatchRule.map((e) => [e.atMs, e.growthBytes]),
    // Where the load was paused for a snapshot / HeapDiff: the boundary checkpoint's whole span.
    snapshots: report.checkpoints.filter((c) => c.boundary && c.totalMs > 20).map((c) => {
      const phase = report.phases.find((p) => p.name === c.phase);
      const label = [phase?.snapshot ? 'snapshot' : '', phase?.heapDiff ? 'HeapDiff' : ''].filter(Boolean).join(' + ') || 'checkpoint';
      return [c.atMs - c.gcMs, c.atMs + (c.totalMs - c.gcMs), label];
    }),
    leakLines: leakLines(report),
    crashAtMs: report.target.crashed ? (report.phases[report.phases.length - 1]?.endMs ?? null) : null,
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leakcheck: ${escapeHtml(v.outcome)} — ${escapeHtml(report.command.join(' '))}</title>
<style>${css}</style></head>
<body>
<header><h1><span class="badge ${outcomeClass}">${escapeHtml(v.outcome.toUpperCase())}</span> <code>${escapeHtml(report.command.join(' '))}</code></h1>
<p class="meta">run ${escapeHtml(report.runId)} · started ${escapeHtml(report.startedAt)} · ${escapeHtml(formatDurationMs(report.durationMs))} · target pid ${report.target.pid ?? '?'} · node ${escapeHtml(report.target.nodeVersion ?? '?')}${report.options.url ? ` · load ${escapeHtml(report.options.url)}` : ''}</p></header>
<section><h2>Verdict</h2><ul class="reasons">${v.reasons.map((r) => `<li class="${toneClass[reasonTone(r)]}"><b>${escapeHtml(r.kind)}</b> ${escapeHtml(describeReason(r, findings))}</li>`).join('')}${v.partial ? `<li class="warn">${escapeHtml(partialVerdictWords)}</li>` : ''}</ul>
${report.target.crashed ? `<pre class="stderr">${escapeHtml(report.target.stderrTail.trim().split('\n').slice(-20).join('\n'))}</pre>` : ''}
<p class="${gcSource.warn ? 'warn' : 'meta'}">${escapeHtml(gcSource.text)}</p></section>
<section><h2>Memory over time</h2><div id="legend" class="legend"></div><div id="chart"></div><div id="tip" hidden></div>
<p class="note">Lines: process.memoryUsage() samples. Grey bands: load paused for a checkpoint at a phase boundary (heap snapshot, HeapDiff). Dots: heap used right after leakcheck's forced full GC (the points the trend test uses; large dots end a phase). Ticks at the bottom: full GCs the agent saw (grey: caused by leakcheck). Red triangles: memwatch's original rule (5 consecutive post-GC increases). Dashed red line: a series the verdict calls a leak.</p>
<h3>Resident set size</h3><div id="legend-rss" class="legend"></div><div id="chart-rss"></div>
<p class="note">RSS counts everything the OS gave the process${report.files.snapshots.length > 0 ? ', including memory taken to write the heap snapshots' : ''}. RSS growing while heap and external stay flat is memory not returned to the OS, not a leak of live objects.</p></section>
<section><h2>Trends over the load phases</h2>${trendTable(report.trends, report.files.snapshots.length > 0)}</section>
<section><h2>Phases</h2>${phaseTable(report.phases)}</section>
<section><h2>Snapshot findings</h2>${findingsHtml(report)}</section>
${heapDiffsHtml(report.phases)}
<section><h2>Processes</h2><table><tr><th>pid</th><th>ppid</th><th>command</th><th></th></tr>${report.target.agents.map((a) => `<tr><td>${a.pid}</td><td>${a.ppid}</td><td><code>${escapeHtml(a.argv.join(' '))}</code></td><td>${a.chosen ? '<b>target</b>: ' : ''}${escapeHtml(a.note)}</td></tr>`).join('')}</table></section>
<footer>leakcheck ${escapeHtml(report.tool.version)} · report schema ${report.schemaVersion}</footer>
<script type="application/json" id="data">${scriptJson(chartData)}</script>
<script>${chartScript}</script>
</body></html>
`;
}

/**
 * A dashed red segment over each series the verdict calls a leak (heapUsed, external), from the
 * baseline checkpoint to the last load checkpoint, labelled with the Theil–Sen growth.
 */
function leakLines(report: RunReport): Array<[number, number, number, number, string, string]> {
  const loadNames = new Set(report.phases.filter((p) => p.kind === 'load').map((p) => p.name));
  const inLoad = report.checkpoints.filter((c) => loadNames.has(c.phase));
  const first = report.checkpoints[report.checkpoints.indexOf(inLoad[0]!) - 1] ?? inLoad[0];
  const last = inLoad[inLoad.length - 1];
  if (!first || !last) return [];
  const lines: Array<[number, number, number, number, string, string]> = [];
  for (const trend of report.trends) {
    if (!trend.increasing || (trend.series !== 'heapUsed' && trend.series !== 'external')) continue;
    const key = trend.series === 'heapUsed' ? 'heapUsedBytes' : 'externalBytes';
    lines.push([first.atMs, first[key], last.atMs, last[key], `${trend.series} leak ${formatByteDelta(trend.growthBytes)}`, trend.series]);
  }
  return lines;
}

function trendTable(trends: readonly SeriesTrend[], snapshotsTaken: boolean): string {
  // Writing a snapshot makes the process take memory from the OS that it keeps: RSS is not the target's alone then.
  const rssMuted = (t: SeriesTrend): boolean => t.series === 'rss' && snapshotsTaken;
  const rows = trends.map((t) => `<tr class="${t.increasing && !rssMuted(t) ? 'bad' : ''}"><td>${escapeHtml(t.series)}</td><td>${formatBytes(t.firstBytes)}</td><td>${formatBytes(t.lastBytes)}</td><td>${formatByteDelta(t.growthBytes)}</td><td>${t.growthPer1000RequestsBytes ? formatByteDelta(t.growthPer1000RequestsBytes) : '—'}</td><td>${t.pValue.toFixed(4)}</td><td>${formatBytes(t.noiseBytes)}</td><td>${t.growthByPhaseBytes.map((p) => `${escapeHtml(p.phase)} ${formatByteDelta(p.growthBytes)}`).join('<br>')}</td><td>${rssMuted(t) ? 'n/a (includes snapshot writing)' : t.increasing ? 'growing' : 'no'}</td></tr>`);
  return `<table><tr><th>series</th><th>first</th><th>last</th><th>Theil–Sen growth</th><th>per 1000 req</th><th>Mann–Kendall p</th><th>noise σ</th><th>by phase</th><th>leak?</th></tr>${rows.join('')}</table>`;
}

function phaseTable(phases: readonly RunPhase[]): string {
  const rows = phases.map((p) => {
    const h = p.http;
    return `<tr><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.kind)}</td><td>${formatDurationMs(p.endMs - p.startMs)}</td><td>${h ? formatCount(h.requests) : p.command ? escapeHtml(p.command.command) : '—'}</td><td>${h ? formatCount(h.requestsPerSecond) : '—'}</td><td>${h ? `${formatDurationMs(h.latencyP50Ms)} / ${formatDurationMs(h.latencyP99Ms)}` : '—'}</td><td>${h ? escapeHtml(Object.entries(h.statusCounts).map(([k, n]) => `${k}: ${n}`).join(', ')) : '—'}</td><td>${p.snapshot ? `${escapeHtml(p.snapshot.file)} (${formatBytes(p.snapshot.sizeBytes)})` : '—'}</td><td>${p.incomplete ? `<span class="bad">${escapeHtml(p.incomplete)}</span>` : ''}</td></tr>`;
  });
  return `<table><tr><th>phase</th><th>kind</th><th>time</th><th>requests</th><th>req/s</th><th>p50 / p99</th><th>status</th><th>snapshot</th><th></th></tr>${rows.join('')}</table>`;
}

function findingsHtml(report: RunReport): string {
  const analysis = report.analysis;
  if (!analysis) return `<p>${escapeHtml(report.analysisNote ?? 'The snapshot diff did not run.')}</p>`;
  const inputs = `<p class="note">${escapeHtml(analysis.method)} diff of ${analysis.snapshots.map((s) => escapeHtml(s.path.split('/').pop() ?? s.path)).join(', ')} · ${formatCount(analysis.survivingCount)} objects allocated after warm-up survived to the end${analysis.warnings.map((w) => `<br>warning: ${escapeHtml(diffWarningText(w))}`).join('')}</p>`;
  if (analysis.findings.length === 0) return `${inputs}<p>No growing listeners, closures, collections, handles or classes.</p>`;
  const rows = analysis.findings.map((f, index) => {
    const e = f.evidence;
    const options = { cwd: report.cwd, ...(report.storedWords ? { stored: report.storedWords } : {}) };
    const location = f.location ? functionLocationText(f.location, options) : '';
    const { title, holder, path } = findingWords(f, index, options);
    return `<tr class="${f.severity === 'leak' ? 'bad' : ''}"><td>${escapeHtml(f.severity)}</td><td><b>${escapeHtml(title)}</b> <span class="dim">${escapeHtml(f.kind)}</span><br>${escapeHtml(e.unit)} ${e.counts.map((c) => formatCount(c)).join(' → ')} (${formatCountDelta(f.growth.count)}); retains ${formatBytes(f.retainedSize)} (${formatByteDelta(f.growth.bytes)})${location ? `<br>at <code>${escapeHtml(location)}</code>` : ''}${holder ? `<br>held by <code>${escapeHtml(holder)}</code>` : ''}${e.captured && e.captured.length > 0 ? `<br>scope holds: ${e.captured.map((c) => `${escapeHtml(c.name)} (${formatBytes(c.retainedSize)})`).join(', ')}` : ''}</td><td><ol class="path">${path.map((step) => `<li><code>${escapeHtml(step)}</code></li>`).join('')}</ol></td></tr>`;
  });
  return `${inputs}<table class="findings"><tr><th>severity</th><th>finding</th><th>retainer path (root first)</th></tr>${rows.join('')}</table>`;
}

function heapDiffsHtml(phases: readonly RunPhase[]): string {
  const withDiff = phases.filter((p) => p.heapDiff);
  if (withDiff.length === 0) return '';
  return `<section><h2>memwatch HeapDiff by phase</h2>${withDiff.map((p) => {
    const d = p.heapDiff!;
    return `<h3>${escapeHtml(p.name)}: ${formatByteDelta(d.changeBytes)} (${formatCount(d.allocatedNodes)} allocated, ${formatCount(d.freedNodes)} freed)</h3><table><tr><th>class</th><th>+</th><th>−</th><th>size</th></tr>${d.details.slice(0, 12).map((r) => `<tr><td><code>${escapeHtml(r.className)}</code></td><td>${formatCount(r.addedCount)}</td><td>${formatCount(r.removedCount)}</td><td>${formatByteDelta(r.sizeBytes)}</td></tr>`).join('')}</table>`;
  }).join('')}</section>`;
}

const css = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0 auto;max-width:1160px;padding:16px 24px;color:#1d2330;background:#fbfbfd}
h1{font-size:20px;margin:8px 0}h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #dde;padding-bottom:4px}h3{font-size:14px;margin:12px 0 4px}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#eef0f5;padding:1px 4px;border-radius:3px;word-break:break-all}
.meta,.note,.dim,footer{color:#667;font-size:12px}
.badge{padding:2px 10px;border-radius:4px;color:#fff;font-size:15px}.badge.ok{background:#2e8540}.badge.bad{background:#c0392b}.badge.warn{background:#c98b00}
.reasons{padding-left:18px}.reasons li{margin:3px 0}li.bad,tr.bad td{color:#b0281a}li.warn,.warn{color:#8a6100}li.ok{color:#24663a}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e4e6ee;vertical-align:top}th{background:#f0f2f7;font-weight:600}
.findings ol.path{margin:0;padding-left:18px}.edge{color:#5a5fb0}
pre.stderr{background:#1d2330;color:#f3d1cc;padding:8px;overflow:auto;font-size:12px;max-height:260px}
#chart svg{width:100%;height:auto;background:#fff;border:1px solid #e4e6ee;border-radius:4px}

.legend span{display:inline-block;margin-right:14px;cursor:pointer;user-select:none;font-size:13px}.legend span.off{opacity:.35}
.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:5px}
#tip{position:fixed;pointer-events:none;background:#1d2330;color:#fff;font-size:12px;padding:6px 8px;border-radius:4px;white-space:pre;z-index:9}
footer{margin:28px 0 8px}`;

// The chart script reads only the embedded JSON and writes SVG with textContent/createElementNS,
// never innerHTML, so phase names from phases.json cannot inject markup.
const chartScript = `
(function(){
var D=JSON.parse(document.getElementById('data').textContent);
var NS='http://www.w3.org/2000/svg';
var W=1100,H=360,L=70,R=16,T=28,B=40;
var tip=document.getElementById('tip');
function fmt(b){var u=['B','KiB','MiB','GiB'],i=0,v=Math.abs(b);while(v>=1024&&i<3){v/=1024;i++}return (b<0?'-':'')+v.toFixed(i===0?0:v>=100?0:1)+' '+u[i]}
function fmtT(ms){return ms<1000?Math.round(ms)+' ms':(ms/1000).toFixed(ms<10000?2:1)+' s'}
function el(n,a,p){var e=document.createElementNS(NS,n);for(var k in a)e.setAttribute(k,a[k]);if(p)p.appendChild(e);return e}
// Checkpoints are memory samples too (taken right after a forced GC): merge them into the lines.
var rows=D.samples.map(function(r){return r}).concat(D.checkpoints.map(function(c){return [c[0],c[5],c[1],c[6],c[2],c[7]]})).sort(function(a,b){return a[0]-b[0]});
function chart(boxId,legendId,series,showCheckpoints){
var on={};series.forEach(function(s){on[s.name]=true});
var legend=document.getElementById(legendId);
series.forEach(function(s){var sp=document.createElement('span');var i=document.createElement('i');i.style.background=s.color;sp.appendChild(i);sp.appendChild(document.createTextNode(s.name));sp.onclick=function(){on[s.name]=!on[s.name];sp.className=on[s.name]?'':'off';draw()};legend.appendChild(sp)});
function draw(){
var box=document.getElementById(boxId);box.textContent='';
var svg=el('svg',{viewBox:'0 0 '+W+' '+H,role:'img','aria-label':'memory over time'},box);
var xs=[],ys=[0];rows.forEach(function(r){xs.push(r[0]);series.forEach(function(s){if(on[s.name])ys.push(r[s.col])})});
D.phases.forEach(function(p){xs.push(p[2],p[3])});
if(xs.length===0){el('text',{x:W/2,y:H/2,'text-anchor':'middle'},svg).textContent='no samples';return}
var x0=Math.min.apply(null,xs),x1=Math.max.apply(null,xs);if(x1<=x0)x1=x0+1;var y1=Math.max.apply(null,ys)*1.08||1;
function X(t){return L+(t-x0)/(x1-x0)*(W-L-R)}function Y(v){return H-B-v/y1*(H-T-B)}
var bandColors={warmup:'#f4f1e6',load:'#e8eef8',idle:'#eef6ee'};
D.phases.forEach(function(p,i){el('rect',{x:X(p[2]),y:T,width:Math.max(1,X(p[3])-X(p[2])),height:H-T-B,fill:bandColors[p[1]]||'#f3f3f3',opacity:i%2?0.7:1},svg);
var t=el('text',{x:X(p[2])+4,y:T-8,'font-size':12,fill:'#556'},svg);t.textContent=p[0]});
(D.snapshots||[]).forEach(function(w){el('rect',{x:X(w[0]),y:T,width:Math.max(1,X(w[1])-X(w[0])),height:H-T-B,fill:'#c9ccd6',opacity:0.45},svg);var st=el('text',{x:(X(w[0])+X(w[1]))/2,y:H-B-12,'text-anchor':'middle','font-size':10,fill:'#778'},svg);st.textContent=w[2]});
for(var k=0;k<=5;k++){var v=y1*k/5;el('line',{x1:L,x2:W-R,y1:Y(v),y2:Y(v),stroke:'#e3e5ec'},svg);var tl=el('text',{x:L-6,y:Y(v)+4,'text-anchor':'end','font-size':11,fill:'#667'},svg);tl.textContent=fmt(v)}
for(var k2=0;k2<=6;k2++){var tv=x0+(x1-x0)*k2/6;var tt=el('text',{x:X(tv),y:H-B+16,'text-anchor':'middle','font-size':11,fill:'#667'},svg);tt.textContent=fmtT(tv)}
series.forEach(function(s){if(!on[s.name]||rows.length===0)return;var d=rows.map(function(r,i){return(i?'L':'M')+X(r[0]).toFixed(1)+' '+Y(r[s.col]).toFixed(1)}).join('');el('path',{d:d,fill:'none',stroke:s.color,'stroke-width':s.name==='heapUsed'?2:1.5},svg)});
if(showCheckpoints&&on.heapUsed)D.checkpoints.forEach(function(c){el('circle',{cx:X(c[0]),cy:Y(c[1]),r:c[3]?5:3,fill:'#1b4f72',stroke:'#fff','stroke-width':1},svg)});
if(showCheckpoints)D.gcs.forEach(function(g){el('line',{x1:X(g[0]),x2:X(g[0]),y1:H-B,y2:H-B-8,stroke:g[2]?'#aab':'#2471a3','stroke-width':1.5},svg)});
if(showCheckpoints)(D.leakLines||[]).forEach(function(l){if(!on[l[5]])return;el('line',{x1:X(l[0]),y1:Y(l[1]),x2:X(l[2]),y2:Y(l[3]),stroke:'#c0392b','stroke-width':2,'stroke-dasharray':'6 4'},svg);var lt=el('text',{x:X(l[2])+6,y:Y(l[3])-6,'font-size':12,'font-weight':'bold',fill:'#c0392b'},svg);lt.textContent=l[4]});
if(showCheckpoints)D.leaks.forEach(function(e){el('path',{d:'M'+X(e[0])+' '+(T+12)+'l-6 -10h12z',fill:'#c0392b'},svg)});
if(D.crashAtMs!==null){el('line',{x1:X(D.crashAtMs),x2:X(D.crashAtMs),y1:T,y2:H-B,stroke:'#c0392b','stroke-width':2,'stroke-dasharray':'5 3'},svg);var ct=el('text',{x:X(D.crashAtMs)-4,y:T+14,'text-anchor':'end','font-size':12,fill:'#c0392b'},svg);ct.textContent='target crashed'}
var cursor=el('line',{x1:0,x2:0,y1:T,y2:H-B,stroke:'#333','stroke-dasharray':'3 3',visibility:'hidden'},svg);
svg.addEventListener('mousemove',function(ev){var pt=svg.createSVGPoint();pt.x=ev.clientX;pt.y=ev.clientY;var p=pt.matrixTransform(svg.getScreenCTM().inverse());var t=x0+(p.x-L)/(W-L-R)*(x1-x0);
var best=null;rows.forEach(function(r){if(!best||Math.abs(r[0]-t)<Math.abs(best[0]-t))best=r});if(!best)return;
var phase='';D.phases.forEach(function(ph){if(best[0]>=ph[2])phase=ph[0]});
var lines=[fmtT(best[0])+(phase?'  '+phase:'')];series.forEach(function(s){if(on[s.name])lines.push(s.name+': '+fmt(best[s.col]))});
var cp=null;D.checkpoints.forEach(function(c){if(Math.abs(X(c[0])-p.x)<6)cp=c});if(cp)lines.push('after forced GC ('+(cp[3]?'end of ':'')+cp[4]+'): heap '+fmt(cp[1])+', external '+fmt(cp[2]));
var g=null;D.gcs.forEach(function(x){if(Math.abs(X(x[0])-p.x)<4)g=x});if(g)lines.push((g[2]?'forced ':'')+'full GC: '+fmt(g[1])+' live, pause '+(g[3]/1e6).toFixed(1)+' ms');
cursor.setAttribute('x1',X(best[0]));cursor.setAttribute('x2',X(best[0]));cursor.setAttribute('visibility','visible');
tip.textContent=lines.join('\\n');tip.hidden=false;tip.style.left=(ev.clientX+14)+'px';tip.style.top=(ev.clientY+14)+'px'});
svg.addEventListener('mouseleave',function(){tip.hidden=true;cursor.setAttribute('visibility','hidden')});
}
draw();
}
chart('chart','legend',[{name:'heapTotal',col:3,color:'#95a5a6'},{name:'heapUsed',col:2,color:'#2471a3'},{name:'external',col:4,color:'#d35400'},{name:'arrayBuffers',col:5,color:'#16a085'}],true);
chart('chart-rss','legend-rss',[{name:'rss',col:1,color:'#8e44ad'}],false);
})();`;

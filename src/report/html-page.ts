import { readFileSync } from 'node:fs';
import { chartScript } from './html-chart-script.js';
import { formatBytes, formatCount, formatDurationMs } from './units.js';
import type { ReasonTone } from './verdict-words.js';

/** Escapes text for HTML element content and attribute values. Every string from a snapshot or target goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside <script>: no "</script>", no "<!--", no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

interface Vendored {
  script: string;
  css: string;
}

let vendored: Vendored | undefined;

/**
 * uPlot's files as shipped (src/report/vendor/, MIT, see its README), read on the first page
 * rendered: the page embeds them so it stays one file that opens offline. The package ships src/,
 * so the path from dist/src/report/ to the package root holds from a checkout and an install.
 */
function vendoredUplot(): Vendored {
  if (!vendored) {
    const dir = new URL('../../../src/report/vendor/', import.meta.url);
    vendored = { script: readFileSync(new URL('uPlot.iife.min.js', dir), 'utf8'), css: readFileSync(new URL('uPlot.min.css', dir), 'utf8') };
  }
  return vendored;
}

export interface PageParts {
  title: string;
  body: string;
  /** Embedded as JSON for the chart script (read with textContent, never as markup). */
  chartData: unknown;
}

/**
 * One self-contained page: the body, uPlot and its CSS, the chart data and the chart script. The
 * page formats numbers with the very functions of units.ts (their source is embedded), so a
 * tooltip says what the tables say.
 */
export function renderPage(parts: PageParts): string {
  const uplot = vendoredUplot();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(parts.title)}</title>
<style>${uplot.css}</style>
<style>${css}</style></head>
<body>
${parts.body}
<script type="application/json" id="data">${scriptJson(parts.chartData)}</script>
<script>${uplot.script.replace(/<\/script/gi, '<\\/script')}</script>
<script>
${formatBytes.toString()}
${formatCount.toString()}
${formatDurationMs.toString()}
${chartScript}
</script>
</body></html>
`;
}

/** The CSS class of each tone (verdict-words.ts reasonTone, outcomeTone): list items, rows and badges alike. */
export const toneClass: Readonly<Record<ReasonTone, string>> = { leak: 'bad', warning: 'warn', ok: 'ok' };

/** A raw table folded away: the cards above it say what matters. */
export function folded(summary: string, inner: string, open = false): string {
  return `<details class="raw"${open ? ' open' : ''}><summary>${summary}</summary><div class="scroll">${inner}</div></details>`;
}

const css = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0 auto;max-width:1180px;padding:12px 20px;color:#1d2330;background:#fbfbfd}
h1{font-size:20px;margin:6px 0;display:flex;flex-wrap:wrap;gap:8px;align-items:center}h2{font-size:16px;margin:22px 0 8px;border-bottom:1px solid #dde;padding-bottom:4px}h3{font-size:14px;margin:10px 0 4px}
h1 code{font-size:13px;overflow-wrap:anywhere}
code,pre{font:12px/1.5 ui-monospace,Menlo,Consolas,monospace}
code{background:#eef0f5;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
.meta,.note,.dim,footer{color:#5d6375;font-size:12px}
.badge{padding:2px 10px;border-radius:4px;color:#fff;font-size:15px;font-weight:600}.badge.ok,.badge.bad,.badge.warn{color:#fff}.badge.ok{background:#2e7d3e}.badge.bad{background:#b83224}.badge.warn{background:#a86f00}
.headline{font-size:15px;margin:6px 0 10px}
.reasons{padding-left:18px;margin:6px 0}.reasons li{margin:3px 0}li.bad,tr.bad td{color:#a3261a}li.warn,.warn{color:#7a5400}li.ok{color:#24663a}
.projection{border-left:4px solid #b83224;background:#fdf1ef;padding:6px 10px;margin:8px 0;color:#7d1d13}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e4e6ee;vertical-align:top}th{background:#f0f2f7;font-weight:600}
td.num,th.num{text-align:right;white-space:nowrap}
.scroll{overflow-x:auto;max-width:100%}
.cards{display:grid;gap:10px}
.card{background:#fff;border:1px solid #e1e4ec;border-left:5px solid #b83224;border-radius:6px;padding:10px 14px;min-width:0}
.card.suspect{border-left-color:#c49a2c}
.card h3{margin:0 0 4px;font-size:15px;overflow-wrap:anywhere}
.card .kind{font-size:11px;color:#5d6375;background:#f0f2f7;border-radius:3px;padding:1px 6px;margin-left:6px;font-weight:400}
.card .facts{margin:4px 0;overflow-wrap:anywhere}
ol.path{list-style:none;margin:6px 0;padding:6px 10px;background:#f6f7fa;border-radius:4px;overflow-x:auto;counter-reset:step}
ol.path li{white-space:nowrap;font:12px/1.6 ui-monospace,Menlo,Consolas,monospace}
ol.path li+li::before{content:'→ ';color:#8a90a2}
.copy{font-size:12px;border:1px solid #c9cdd8;background:#fff;border-radius:4px;padding:2px 8px;cursor:pointer}
textarea.path-text{position:absolute;left:-9999px;width:1px;height:1px}
details.raw,details.suspects{margin:10px 0}details>summary{cursor:pointer;font-weight:600;padding:4px 0}
pre.stderr{background:#1d2330;color:#f3d1cc;padding:8px;overflow:auto;max-height:260px;white-space:pre-wrap;overflow-wrap:anywhere}
article.process{background:#fff;border:1px solid #e1e4ec;border-radius:6px;padding:8px 14px;margin:10px 0;min-width:0}article.process.leak{border-left:5px solid #b83224}
table.processes code{white-space:nowrap}
article.process h3{display:flex;flex-wrap:wrap;gap:8px;align-items:center;overflow-wrap:anywhere}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px;margin:8px 0}
.figures div{background:#fff;border:1px solid #e1e4ec;border-radius:6px;padding:6px 10px}.figures b{display:block;font-size:17px}
.chart{position:relative;background:#fff;border:1px solid #e4e6ee;border-radius:6px;padding:6px 4px;margin:6px 0;min-width:0}
.chart .u-legend{font-size:12px}.chart .u-legend .u-series{cursor:pointer}
.lanes{position:absolute;left:0;right:0;height:36px;pointer-events:none}.lane-label{font-size:11px;line-height:16px;color:#3f4557;background:rgba(255,255,255,.8);padding:0 3px;border-radius:2px}.lane-label.crash{color:#b83224;font-weight:600}.lane-label.pause{color:#666c7e}
.tip{position:absolute;pointer-events:none;background:#1d2330;color:#fff;font-size:12px;padding:6px 8px;border-radius:4px;white-space:pre;z-index:9;display:none}
footer{margin:28px 0 8px}`;

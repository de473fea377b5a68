import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { findingTitle, formatBytes, parseRunReport, renderRunHtml, trendSeries, type RunReport } from '../../src/report/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * Every outcome's page in a real Chromium (the system package; CI installs it in .ci/run): no
 * console errors, no requests beyond the file itself, charts drawn with the data's series and
 * points, the tooltip's figure, nothing wider than the window at 1,400 and 420 px, phase labels
 * that do not overlap, and the culprit above the fold. The reports are real runs' report.json
 * (fixtures/reports/README.md); the diff page comes from `leakcheck diff --html` on the bundled
 * snapshots. Screenshots go to a temp dir named in the test output.
 */
const chromium = [process.env['LEAKCHECK_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
  .find((path): path is string => path !== undefined && path !== '' && existsSync(path));
const skip = chromium === undefined ? 'Chromium not found (apt-get install chromium, or set LEAKCHECK_CHROMIUM): browser checks of the HTML report skipped' : false;

const OUTCOMES = ['leak', 'clean', 'crashed', 'interrupted', 'inconclusive', 'error-responses', 'cluster-leak'] as const;
const WIDTHS = [1400, 420];
const FOLD_PX = 900;

// The callbacks given to page.evaluate run in the page; these names are the page's globals there.
declare const document: any;
declare const window: any;
declare function getComputedStyle(element: unknown): { overflowX: string; display: string };

interface ChartSpecLike { id: string; xs: number[]; series: Array<{ label: string; values: Array<number | null> }> }

// Pages load and settle independently: three at a time keeps the wall time down on a shared machine.
describe('HTML report pages in Chromium', { skip, concurrency: 3 }, () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'leakcheck-pages-'));
  const pages = new Map<string, { file: string; report?: RunReport }>();

  before(async () => {
    const { default: puppeteer } = await import('puppeteer-core');
    browser = await puppeteer.launch({ executablePath: chromium!, args: ['--no-sandbox', '--disable-gpu', '--headless=new'] });
    for (const outcome of OUTCOMES) {
      const source = join(fixturesDir, 'reports', `${outcome}.json`);
      const report = parseRunReport(readFileSync(source, 'utf8'), source);
      const file = join(dir, `${outcome}.html`);
      writeFileSync(file, renderRunHtml(report));
      pages.set(outcome, { file, report });
    }
    const snapshots = ['base', 'target', 'final'].map((k) => join(fixturesDir, 'snapshots', `listener-per-request-${k}.heapsnapshot.gz`));
    const diffFile = join(dir, 'diff.html');
    const diff = await runCli(['diff', ...snapshots, '--html', diffFile]);
    assert.equal(diff.status, 1, diff.stderr);
    pages.set('diff', { file: diffFile });
  });
  after(async () => {
    await browser?.close();
    process.stdout.write(`# screenshots of the report pages: ${dir}\n`);
  });

  /** Opens a page and records every console error, page error and request other than the page itself. */
  async function open(name: string, width: number, screenshot = false): Promise<{ page: Page; problems: string[] }> {
    const { file } = pages.get(name)!;
    const page = await browser.newPage();
    const problems: string[] = [];
    const url = pathToFileURL(file).href;
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
    page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    page.on('request', (request) => { if (request.url() !== url) problems.push(`request: ${request.url()}`); });
    await page.setViewport({ width, height: FOLD_PX });
    await page.goto(url, { waitUntil: 'load' });
    if (screenshot) await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
    return { page, problems };
  }

  for (const name of [...OUTCOMES, 'diff']) {
    for (const width of WIDTHS) {
      test(`the ${name} page at ${width} px: no errors or requests, charts match their data, nothing overflows, labels do not overlap`, async () => {
        const { page, problems } = await open(name, width, true);
        try {
          const specs = await page.evaluate(() => JSON.parse(document.getElementById('data')!.textContent!).charts) as ChartSpecLike[];
          const drawn = await page.evaluate(() => Object.entries(window.leakcheckCharts as Record<string, { series: unknown[]; data: unknown[][] }>)
            .map(([id, u]) => ({ id, series: u.series.length - 1, points: u.data[0]!.length })));
          assert.deepEqual(drawn, specs.map((s) => ({ id: s.id, series: s.series.length, points: s.xs.length })));
          for (const spec of specs) assert.ok(spec.series.some((s) => s.values.some((v) => v !== null)), `${spec.id} has data`);
          const overflow = await page.evaluate(() => {
            const width = document.documentElement.clientWidth;
            const inScroller = (el: any) => {
              for (let p = el.parentElement; p; p = p.parentElement) if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
              return false;
            };
            const wide = ([...document.body.querySelectorAll('*')] as any[]).filter((el) => el.getBoundingClientRect().right > width + 1 && !inScroller(el) && el.offsetParent !== null);
            return { scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5).map((el) => `${el.tagName}.${el.className}`) };
          });
          assert.ok(overflow.scrollWidth <= overflow.width, `page scrolls sideways: ${overflow.scrollWidth} > ${overflow.width}`);
          assert.deepEqual(overflow.wide, []);
          const overlaps = await page.evaluate(() => {
            const boxes = ([...document.querySelectorAll('.lane-label')] as any[]).map((el) => ({ text: el.textContent, r: el.getBoundingClientRect() }));
            const out: string[] = [];
            boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
              if (a.r.left < b.r.right && b.r.left < a.r.right && a.r.top < b.r.bottom && b.r.top < a.r.bottom) out.push(`${a.text} / ${b.text}`);
            }));
            return out;
          });
          assert.deepEqual(overlaps, []);
          assert.deepEqual(problems, []);
        } finally {
          await page.close();
        }
      });
    }
  }

  test('the leak page names the culprit above the fold at both widths, with its retainer path one step per line', async () => {
    const report = pages.get('leak')!.report!;
    const culprit = report.analysis!.findings.find((f) => f.severity === 'leak')!;
    for (const width of WIDTHS) {
      const { page } = await open('leak', width);
      const card = await page.evaluate(() => {
        const h3 = document.querySelector('#causes .card h3')!;
        const steps = ([...document.querySelectorAll('#causes .card ol.path li')] as any[]).map((li) => ({ text: li.textContent, height: li.getBoundingClientRect().height }));
        return { title: h3.firstChild!.textContent, bottom: h3.getBoundingClientRect().bottom, steps };
      });
      await page.close();
      assert.equal(card.title, findingTitle(culprit));
      assert.ok(card.bottom < FOLD_PX, `title ends at ${card.bottom} px, below the ${FOLD_PX} px fold`);
      assert.ok(card.steps.length >= 3);
      // One line per step: a step never wraps inside itself.
      const lineHeight = Math.min(...card.steps.map((s) => s.height));
      for (const step of card.steps) assert.ok(step.height < lineHeight * 1.5, `step wraps: ${step.text}`);
    }
  });

  test('hovering a post-GC point shows its figure as the tables format it; a legend click toggles a series', async () => {
    const report = pages.get('leak')!.report!;
    const { page } = await open('leak', 1400);
    try {
      const checkpoint = report.checkpoints[2]!;
      const spot = await page.evaluate((heap) => {
        const u = window.leakcheckCharts['chart-memory'];
        const postGc = u.series.findIndex((s: { label: string }) => s.label === 'heap after forced GC');
        const index = u.data[postGc].findIndex((v: number | null) => v === heap);
        const rect = u.over.getBoundingClientRect();
        u.over.scrollIntoView();
        const r = u.over.getBoundingClientRect();
        return { x: r.left + u.valToPos(u.data[0][index], 'x'), y: r.top + u.valToPos(heap, 'y'), index, moved: rect.top !== r.top };
      }, checkpoint.heapUsedBytes);
      assert.ok(spot.index >= 0, 'the checkpoint is a point of the chart');
      await page.mouse.move(spot.x, spot.y);
      const tip = await page.$eval('#chart-memory .tip', (el) => ({ text: el.textContent, shown: getComputedStyle(el).display !== 'none' }));
      assert.ok(tip.shown, 'the tooltip is shown');
      assert.match(tip.text!, new RegExp(`heap after forced GC: ${formatBytes(checkpoint.heapUsedBytes).replace('.', '\\.')}`));
      const before = await page.evaluate(() => window.leakcheckCharts['chart-memory'].series.find((s: { label: string }) => s.label === 'rss').show);
      const [rss] = await page.$$('xpath/.//*[@id="chart-memory"]//*[contains(@class,"u-legend")]//*[contains(@class,"u-label") and text()="rss"]');
      await rss!.click();
      const toggled = await page.evaluate(() => window.leakcheckCharts['chart-memory'].series.find((s: { label: string }) => s.label === 'rss').show);
      assert.equal(before, false);
      assert.equal(toggled, true);
    } finally {
      await page.close();
    }
  });

  test('the cluster page lists every process, the leaking worker first by its pid, with its own heap chart and its findings folded', async () => {
    const report = pages.get('cluster-leak')!.report!;
    const leaky = report.processes!.find((p) => p.verdict.leak)!;
    const culprit = leaky.analysis!.findings.find((f) => f.severity === 'leak')!;
    for (const width of WIDTHS) {
      const { page } = await open('cluster-leak', width);
      try {
        const table = await page.evaluate(() => ([...document.querySelectorAll('#processes table.processes tr[data-pid]')] as any[]).map((tr) => ({
          pid: Number(tr.getAttribute('data-pid')), badge: tr.querySelector('.badge').textContent, marked: tr.classList.contains('bad'),
          cells: ([...tr.querySelectorAll('td')] as any[]).map((td) => td.textContent),
        })));
        assert.deepEqual(table.map((row) => row.pid), [leaky.pid, report.target.pid, ...report.processes!.filter((p) => p !== leaky).map((p) => p.pid)]);
        assert.deepEqual(table.map((row) => [row.badge, row.marked]), [['LEAK', true], ['CLEAN', false], ['CLEAN', false]]);
        assert.deepEqual(table[0]!.cells.slice(1, 4), ['worker', String(leaky.pid), String(leaky.clusterWorkerId)]);
        const block = await page.evaluate((pid) => {
          const article = document.querySelector(`#processes article.process[data-pid="${pid}"]`)!;
          const chart = article.querySelector('.chart')!;
          const folded = article.querySelector('details')!;
          const hidden = !folded.open && !folded.querySelector('.card h3').checkVisibility();
          folded.open = true;
          return {
            heading: article.querySelector('h3').textContent, chart: chart.id, chartHeight: chart.getBoundingClientRect().height, hidden,
            card: folded.querySelector('.card h3').firstChild.textContent, shown: folded.querySelector('.card h3').checkVisibility(),
          };
        }, leaky.pid);
        assert.equal(block.heading, `LEAK cluster worker ${leaky.clusterWorkerId} (pid ${leaky.pid})`);
        const drawn = await page.evaluate((id) => window.leakcheckCharts[id].data[1].filter((v: number | null) => v !== null), block.chart);
        assert.deepEqual(drawn, trendSeries(leaky.checkpoints, report.phases).series.map((c) => c.heapUsedBytes), 'its own post-GC heap, not the target\'s');
        assert.ok(block.chartHeight > 200);
        assert.ok(block.hidden, 'the findings start folded');
        assert.equal(block.card, findingTitle(culprit));
        assert.ok(block.shown, 'and open to the culprit\'s card');
      } finally {
        await page.close();
      }
    }
  });

  test('the crashed page says what happened and shows the last figures; the interrupted one says where it stopped', async () => {
    const { page } = await open('crashed', 1400);
    const crashed = await page.evaluate(() => ({ text: document.querySelector('#what-happened')?.textContent ?? '', figures: document.querySelectorAll('#what-happened .figures div').length }));
    await page.close();
    const report = pages.get('crashed')!.report!;
    assert.match(crashed.text, /exited with code 1 during warmup/);
    assert.match(crashed.text, /fixture crash after 150 requests/);
    assert.ok(crashed.figures >= 4);
    assert.match(crashed.text, new RegExp(formatBytes(report.samples.at(-1)!.heapUsedBytes).replace('.', '\\.')));
    const interrupted = await open('interrupted', 1400);
    const text = await interrupted.page.evaluate(() => document.body.textContent ?? '');
    await interrupted.page.close();
    assert.match(text, /INTERRUPTED/);
    assert.match(text, /stopped before its last phase/);
  });
});

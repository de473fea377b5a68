import type { InspectorState, LiveSnapshotResult, MemoryFit, SnapshotProgress, TargetMemory, WatchResult } from '../live/index.js';
import { renderFindingsText, unattributedSitesText, type FindingsTextOptions } from './findings-text.js';
import type { Style } from './style.js';
import { formatByteDelta, formatBytes, formatDurationMs } from './units.js';

/** `snapshot 42% (12,345/29,000 objects)` or `written 120 MiB`: one progress line, no newline. */
export function renderSnapshotProgress(where: string, progress: SnapshotProgress): string {
  if (progress.phase === 'build') {
    const percent = progress.totalObjects > 0 ? Math.floor((100 * progress.doneObjects) / progress.totalObjects) : 0;
    return `${where}: building snapshot ${percent}% (${progress.doneObjects.toLocaleString('en-US')}/${progress.totalObjects.toLocaleString('en-US')} objects)`;
  }
  return `${where}: writing snapshot, ${formatBytes(progress.rawBytes)} received`;
}

export function renderInspectorOpened(where: string, inspector: InspectorState): string {
  const address = inspector.host === undefined ? inspector.url : `${inspector.host}:${inspector.port}`;
  return inspector.openedByLeakcheck
    ? `${where}: inspector opened on ${address} (SIGUSR1); it is closed again afterwards`
    : `${where}: inspector was already open on ${address}; it is left open`;
}

/** The memory check, in one line: used heap, what the snapshot needs, what is available and where that figure came from. */
export function renderMemoryCheck(where: string, memory: TargetMemory, fit: MemoryFit, forced: boolean): string {
  const heap = `heap ${formatBytes(memory.usedHeapBytes)} used of ${formatBytes(memory.heapLimitBytes)}, rss ${formatBytes(memory.rssBytes)}`;
  if (fit.availableBytes === null) return `${where}: ${heap}; memory check: no cgroup limit or MemAvailable readable, not checked`;
  const source = fit.source === 'cgroup' ? `cgroup ${fit.cgroupPath ?? ''}` : fit.source === 'meminfo' ? 'MemAvailable' : 'as given';
  const verdict = fit.fits ? 'fits' : forced ? 'does NOT fit, taken anyway (--force)' : 'does not fit';
  return `${where}: ${heap}; snapshot needs ~${formatBytes(fit.neededBytes)}, ${formatBytes(fit.availableBytes)} available (${source}): ${verdict}`;
}

function renderClosed(inspector: InspectorState): string {
  if (!inspector.openedByLeakcheck) return 'inspector left open, as it was found';
  return inspector.closedAfter === false ? 'WARNING: the inspector port still answers after inspector.close()' : 'inspector closed again';
}

/** What `leakcheck snapshot` prints when it is done. */
export function renderLiveSnapshotText(result: LiveSnapshotResult, where: string): string {
  const ratio = result.gzip && result.fileBytes > 0 ? `, ${(result.rawBytes / result.fileBytes).toFixed(1)}× smaller than ${formatBytes(result.rawBytes)}` : '';
  return `${where}: wrote ${result.path} (${formatBytes(result.fileBytes)}${ratio}) in ${formatDurationMs(result.durationMs)}; ${renderClosed(result.inspector)}\n`;
}

/** What `leakcheck watch` prints: the post-GC heap figures per snapshot, then the diff as `leakcheck diff` prints it. */
export function renderWatchText(result: WatchResult, where: string, style: Style, options: FindingsTextOptions = {}): string {
  const lines = [style.bold(`leakcheck watch ${where}: ${result.snapshots.length} of ${result.requestedCount} snapshots${result.targetExited ? ' (the process exited)' : result.interrupted ? ' (interrupted)' : ''}`)];
  lines.push(`  ${'#'.padEnd(3)}${'time (UTC)'.padEnd(22)}${'heap used'.padStart(12)}${'change'.padStart(13)}${'external'.padStart(12)}${'rss'.padStart(12)}  file`);
  result.snapshots.forEach((snapshot, k) => {
    const memory = snapshot.memory;
    const change = k === 0 ? '' : formatByteDelta(memory.usedHeapBytes - result.snapshots[k - 1]!.memory.usedHeapBytes);
    lines.push(`  ${String(k + 1).padEnd(3)}${new Date(memory.atMs).toISOString().slice(0, 19).replace('T', ' ').padEnd(22)}`
      + `${formatBytes(memory.usedHeapBytes).padStart(12)}${change.padStart(13)}${formatBytes(memory.externalBytes).padStart(12)}`
      + `${formatBytes(memory.rssBytes).padStart(12)}  ${snapshot.path} (${formatBytes(snapshot.fileBytes)})`);
  });
  lines.push(style.dim('  heap figures after a full GC, just before each snapshot'));
  lines.push(style.dim(`  ${renderClosed(result.inspector)}`));
  lines.push('');
  if (result.analysis === undefined) {
    lines.push(style.yellow(`not analysed: ${result.snapshots.length} snapshot(s) taken, 2 are needed; no verdict`));
    return `${lines.join('\n')}\n`;
  }
  if (result.analyzedPaths.length < result.snapshots.length) lines.push(style.dim(`  diff of #1, #${result.snapshots.length - 1} and #${result.snapshots.length}`));
  const sites = unattributedSitesText(result.allocationSites, style, options.cwd);
  return `${lines.join('\n')}\n${renderFindingsText(result.analysis, style, options)}${sites.length > 0 ? `\n${sites.join('\n')}\n` : ''}`;
}

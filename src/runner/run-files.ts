import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, LeakcheckError } from '../errors.js';
import { renderRunHtml, runReportToJson, type RunReport } from '../report/index.js';

/** The files of one run directory. Snapshots are added as the agent writes them. */
export interface RunFiles {
  dir: string;
  reportJson: string;
  reportHtml: string;
  statsJsonl: string;
  targetLog: string;
  snapshots: string[];
}

export function runFilesIn(dir: string): RunFiles {
  return {
    dir,
    reportJson: join(dir, 'report.json'),
    reportHtml: join(dir, 'report.html'),
    statsJsonl: join(dir, 'stats.jsonl'),
    targetLog: join(dir, 'target.log'),
    snapshots: [],
  };
}

/**
 * Creates the run directory (0700). Snapshots are created exclusively (never overwriting a file
 * someone may still be reading): a directory that already holds a run is refused up front rather
 * than failing mid-run.
 */
export async function prepareRunDir(dir: string): Promise<RunFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const previous = (await readdir(dir)).filter((name) => name === 'report.json' || name.endsWith('.heapsnapshot'));
  if (previous.length > 0) {
    throw new LeakcheckError(ErrorCode.USAGE, `${dir} already holds a run (${previous[0]}); choose another --out directory`);
  }
  return runFilesIn(dir);
}

export async function writeRunReport(files: RunFiles, report: RunReport): Promise<void> {
  await writeFile(files.reportJson, runReportToJson(report), { mode: 0o600 });
  await writeFile(files.reportHtml, renderRunHtml(report), { mode: 0o600 });
}

import { constants } from 'node:fs';
import { access, mkdir, readdir, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, LeakcheckError } from '../errors.js';
import { renderRunHtml, runReportToJson, type KeepSnapshots, type RunReport } from '../report/index.js';

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
  await checkRunDir(dir);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new LeakcheckError(ErrorCode.USAGE, `cannot create the report directory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { file: dir });
  }
  const previous = (await readdir(dir)).filter((name) => name === 'report.json' || name.endsWith('.heapsnapshot'));
  if (previous.length > 0) {
    throw new LeakcheckError(ErrorCode.USAGE, `${dir} already holds a run (${previous[0]}); choose another --out directory`);
  }
  return runFilesIn(dir);
}

/** statfs magic numbers of kernel pseudo file systems, where files are not files (mkdir -p can even loop forever in /proc). */
const pseudoFileSystems = new Map<number, string>([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x1cd1, 'devpts'], [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'], [0x73636673, 'securityfs'], [0x74726163, 'tracefs'], [0xcafe4a11, 'bpf'],
]);

/**
 * Refuses an --out that cannot hold a run before anything starts: its nearest existing ancestor
 * must be a writable directory on a real file system. Errors name the path and the problem.
 */
async function checkRunDir(dir: string): Promise<void> {
  const refuse = (problem: string): never => {
    throw new LeakcheckError(ErrorCode.USAGE, `cannot be the report directory: ${problem}`, { file: dir });
  };
  let existing = dir;
  for (;;) {
    const found = await stat(existing).catch((error: NodeJS.ErrnoException) => error);
    if (!(found instanceof Error)) {
      if (!found.isDirectory()) refuse(`${existing} is not a directory`);
      break;
    }
    if (found.code !== 'ENOENT' && found.code !== 'ENOTDIR') refuse(`${existing}: ${found.code ?? found.message}`);
    if (dirname(existing) === existing) refuse('no part of the path exists');
    existing = dirname(existing);
  }
  const kind = pseudoFileSystems.get(Number((await statfs(existing).catch(() => undefined))?.type));
  if (kind !== undefined) refuse(`${existing} is on the ${kind} pseudo file system`);
  await access(existing, constants.W_OK).catch((error: NodeJS.ErrnoException) => refuse(`${existing} is not writable (${error.code ?? error.message})`));
}

/** Deletes the run's snapshots unless the policy keeps them for this outcome; true when they were deleted. */
export async function applySnapshotPolicy(files: RunFiles, policy: KeepSnapshots, leak: boolean): Promise<boolean> {
  if (files.snapshots.length === 0 || policy === 'always' || (policy === 'on-leak' && leak)) return false;
  await Promise.all(files.snapshots.map((file) => rm(file, { force: true })));
  return true;
}

export async function writeRunReport(files: RunFiles, report: RunReport): Promise<void> {
  await writeFile(files.reportJson, runReportToJson(report), { mode: 0o600 });
  await writeFile(files.reportHtml, renderRunHtml(report), { mode: 0o600 });
}

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memwatchRuleEvents } from '../agent/leak-heuristic.js';
import { AGENT_ENV, type CheckpointResult } from '../agent/protocol.js';
import { ErrorCode, LeakcheckError } from '../errors.js';
import { toolVersion } from '../version.js';
import {
  RUN_REPORT_SCHEMA_VERSION, renderRunHtml, runReportToJson, type AgentSeen, type AnalysisResult, type RunCheckpoint,
  type RunPhase, type RunReport,
} from '../report/index.js';
import { analyzeRunSnapshots } from './analysis.js';
import { AgentServer, type AgentConnection } from './agent-server.js';
import { startCommandLoad } from './command-load.js';
import { describeErrorResponses, describeExit } from './describe.js';
import { LoadRecorder, delay, runHttpLoad } from './http-load.js';
import { isWrapperProcess, waitUntilReady } from './readiness.js';
import type { LoadPhase } from './load-plan.js';
import { Target, type TargetExit } from './spawn-target.js';
import { StatsStream, collectSeries } from './collect.js';
import { computeTrends, decideVerdict } from './verdict.js';

/** Snapshot analysis of the three boundary snapshots (replaceable, e.g. with other thresholds). */
export type SnapshotAnalyzer = (snapshots: { baseline: string; target: string; final: string }) => Promise<AnalysisResult>;

export type RunProgressEvent =
  | { kind: 'started'; pid: number | undefined; outDir: string }
  | { kind: 'ready'; url: string | undefined; targetPid: number; ignoredPids: number[] }
  | { kind: 'phase-start'; phase: string }
  | { kind: 'phase-end'; phase: RunPhase }
  | { kind: 'analysis' };

export interface RunOptions {
  /** The target command (what follows `--`). */
  command: string[];
  phases: LoadPhase[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Explicit readiness/load URL; else the port the target starts listening on. */
  url?: string;
  /** Report directory; default <cwd>/reports/<runId>. */
  outDir?: string;
  runId?: string;
  /** How long the target may take to start listening. */
  startTimeoutMs?: number;
  /** Upper bound on any single phase, whatever its own bound. */
  phaseTimeoutMs?: number;
  /** Forced-GC measurements per load phase (the last one is the phase boundary). */
  checkpointsPerPhase?: number;
  /** During --load-cmd phases, the first interval between checkpoints (it grows 1.5× each time, up to 5 s). */
  checkpointIntervalMs?: number;
  snapshots?: boolean;
  heapDiff?: boolean;
  /** false: keep @airbnb/node-memwatch out of the target (GC stats from Node's built-ins, no HeapDiff). */
  memwatch?: boolean;
  /** How long one checkpoint (forced GC, snapshot) may take; default 10 min (big heaps are slow to write). */
  checkpointTimeoutMs?: number;
  minGrowthBytes?: number;
  sampleIntervalMs?: number;
  /** Default: the built-in three-snapshot diff and detectors; false: skip it. */
  analyze?: SnapshotAnalyzer | false;
  signal?: AbortSignal;
  onProgress?: (event: RunProgressEvent) => void;
  /** Copy the target's stdout and stderr here as well as to target.log. */
  targetOutput?: NodeJS.WritableStream;
  /** Overrides the agent entry (tests); default dist/src/agent/preload.js next to this file. */
  agentPath?: string;
}

export const defaultMinGrowthBytes = 1024 * 1024;

const agentEntry = fileURLToPath(new URL('../agent/preload.js', import.meta.url));
/** A new run id: sortable timestamp + short random suffix, safe in a file name. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

class TargetEnded extends Error {}
class Interrupted extends Error {}

/**
 * Runs one leak check: start the target with the agent, wait until it listens, drive the phases
 * with checkpoints (forced GC + sample, and a heap snapshot at every phase boundary), stop it,
 * analyse, and write report.json, report.html and stats.jsonl. Returns the report; the caller
 * chooses the exit code. Throws LeakcheckError when the target cannot be started or never listens.
 */
export async function runTarget(options: RunOptions): Promise<RunReport> {
  if (options.command.length === 0) throw new LeakcheckError(ErrorCode.USAGE, 'no target command given after --');
  const cwd = options.cwd ?? process.cwd();
  const runId = options.runId ?? newRunId();
  const outDir = resolve(cwd, options.outDir ?? join('reports', runId));
  const progress = options.onProgress ?? (() => {});
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const phaseTimeoutMs = options.phaseTimeoutMs ?? 300_000;
  const checkpointsPerPhase = Math.max(1, options.checkpointsPerPhase ?? 4);
  const snapshots = options.snapshots ?? true;
  const checkpointTimeoutMs = options.checkpointTimeoutMs ?? 600_000;
  const minGrowthBytes = options.minGrowthBytes ?? defaultMinGrowthBytes;
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  // Snapshots are created exclusively (never overwriting a file someone may still be reading):
  // a directory that already holds a run is refused up front rather than failing mid-run.
  const previous = (await readdir(outDir)).filter((name) => name === 'report.json' || name.endsWith('.heapsnapshot'));
  if (previous.length > 0) {
    throw new LeakcheckError(ErrorCode.USAGE, `${outDir} already holds a run (${previous[0]}); choose another --out directory`);
  }
  const files = {
    dir: outDir,
    reportJson: join(outDir, 'report.json'),
    reportHtml: join(outDir, 'report.html'),
    statsJsonl: join(outDir, 'stats.jsonl'),
    targetLog: join(outDir, 'target.log'),
    snapshots: [] as string[],
  };

  const server = await AgentServer.open();
  const startedAtMs = Date.now();
  const startedAt = new Date(startedAtMs).toISOString();
  let target: Target | undefined;
  let stopLoadAtEnd = (): void => {};
  let stats: StatsStream | undefined;
  try {
    target = new Target({
      command: options.command,
      cwd,
      env: {
        ...(options.env ?? process.env),
        [AGENT_ENV.socket]: server.socketPath,
        [AGENT_ENV.sampleIntervalMs]: String(options.sampleIntervalMs ?? 250),
        ...(options.memwatch === false ? { [AGENT_ENV.memwatch]: '0' } : {}),
      },
      agentPath: options.agentPath ?? agentEntry,
      logPath: files.targetLog,
      ...(options.targetOutput ? { echo: options.targetOutput } : {}),
    });
    progress({ kind: 'started', pid: target.pid, outDir });
    const running = target;

    const { agent, loadUrl } = await waitUntilReady(server, running, {
      explicitUrl: options.url ?? options.phases.find((p) => p.url !== undefined)?.url,
      startTimeoutMs,
      targetLog: files.targetLog,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const ignored = new Set<AgentConnection>();
    const ignoreOthers = (): void => {
      for (const other of server.agents) {
        if (other !== agent && !ignored.has(other)) {
          other.ignore();
          ignored.add(other);
        }
      }
    };
    ignoreOthers();
    stats = new StatsStream(files.statsJsonl, startedAtMs);
    stats.follow(agent);
    const statsOut = stats;
    progress({ kind: 'ready', url: loadUrl, targetPid: agent.hello!.pid, ignoredPids: [...ignored].flatMap((a) => (a.hello ? [a.hello.pid] : [])) });

    // The target ending on its own from here on is a crash: every wait races against it.
    const targetEnded = running.exited.then((exit) => {
      throw new TargetEnded(describeExit(exit));
    });
    // Load workers must not outlive the target (they would keep hammering a dead port until their
    // budget ran out) nor the run: one signal stops them on a crash, on Ctrl-C and at the end.
    const stopLoad = new AbortController();
    void running.exited.then(() => stopLoad.abort());
    options.signal?.addEventListener('abort', () => stopLoad.abort(), { once: true });
    stopLoadAtEnd = () => stopLoad.abort();
    targetEnded.catch(() => {});
    // Ctrl-C ends the current phase at once; what was measured so far is still reported.
    const interrupted = new Promise<never>((_resolve, reject) => {
      const fire = (): void => reject(new Interrupted('interrupted'));
      if (options.signal?.aborted) fire();
      else options.signal?.addEventListener('abort', fire, { once: true });
    });
    interrupted.catch(() => {});
    const orEnd = <T>(work: Promise<T>): Promise<T> => Promise.race([work, targetEnded, interrupted]);

    const phases: RunPhase[] = [];
    const checkpoints: RunCheckpoint[] = [];
    let requestsSoFar = 0;
    let crashedDuring: string | null = null;
    let interruptedDuring: string | null = null;
    let snapshotsTaken = 0;
    const loadPhaseCount = options.phases.filter((p) => p.kind === 'load').length;
    let loadPhasesDone = 0;

    const record = (phase: string, boundary: boolean, result: CheckpointResult): void => {
      const m = result.memory;
      const row: RunCheckpoint = {
        atMs: m.timeMs - startedAtMs, phase, requestsSoFar, boundary,
        rssBytes: m.rssBytes, heapTotalBytes: m.heapTotalBytes, heapUsedBytes: m.heapUsedBytes,
        externalBytes: m.externalBytes, arrayBuffersBytes: m.arrayBuffersBytes, gcMs: result.gcMs, totalMs: result.totalMs,
      };
      checkpoints.push(row);
      statsOut.write({ type: 'checkpoint', ...row });
    };
    let heapDiffRunning = false;
    /**
     * `measured`: a boundary the diffs compare (end of warm-up, end of each load phase): it gets
     * a snapshot (unless --no-snapshots) and ends/starts the HeapDiff (unless --no-heap-diff).
     */
    const checkpoint = async (phase: RunPhase, boundary: boolean, measured: boolean): Promise<void> => {
      ignoreOthers();
      const withSnapshot = measured && snapshots;
      let heapDiff: 'start' | 'restart' | 'end' | undefined;
      if (measured && options.heapDiff !== false) {
        heapDiff = !heapDiffRunning ? 'start' : loadPhasesDone >= loadPhaseCount ? 'end' : 'restart';
      }
      const file = withSnapshot ? join(outDir, `${String(snapshotsTaken).padStart(2, '0')}-${safeName(phase.name)}.heapsnapshot`) : undefined;
      const result = await orEnd(agent.checkpoint({
        ...(file === undefined ? {} : { snapshotPath: file }),
        ...(heapDiff === undefined ? {} : { heapDiff }),
      }, checkpointTimeoutMs));
      record(phase.name, boundary, result);
      if (heapDiff !== undefined) heapDiffRunning = heapDiff !== 'end';
      if (result.snapshot) {
        snapshotsTaken++;
        files.snapshots.push(result.snapshot.path);
        phase.snapshot = { file: relative(outDir, result.snapshot.path), sizeBytes: result.snapshot.sizeBytes, writeMs: result.snapshot.writeMs };
      }
      if (result.heapDiff) {
        const { beforeBytes, afterBytes, changeBytes, allocatedNodes, freedNodes, details } = result.heapDiff;
        phase.heapDiff = { beforeBytes, afterBytes, changeBytes, allocatedNodes, freedNodes, details };
      }
    };

    for (const [index, plan] of options.phases.entries()) {
      const phase: RunPhase = { name: plan.name, kind: plan.kind, startMs: Date.now() - startedAtMs, endMs: 0 };
      let liveRecorder: LoadRecorder | undefined;
      phases.push(phase);
      statsOut.phase = plan.name;
      statsOut.write({ type: 'phase-start', name: plan.name, kind: plan.kind, atMs: phase.startMs });
      progress({ kind: 'phase-start', phase: plan.name });
      try {
        // No warm-up: take the baseline right before the first load phase.
        if (index === 0 && plan.kind === 'load') {
          const baseline: RunPhase = { name: 'start', kind: 'warmup', startMs: phase.startMs, endMs: phase.startMs };
          phases.splice(phases.length - 1, 0, baseline);
          await checkpoint(baseline, true, true);
        }
        const chunks = plan.kind === 'load' ? checkpointsPerPhase : 1;
        if (plan.kind === 'idle') {
          await orEnd(delay(plan.durationMs ?? 0));
        } else if (plan.loadCommand !== undefined) {
          await runCommandPhase(plan, phase);
        } else {
          const recorder = new LoadRecorder();
          // Set before the load so that a crash mid-chunk still reports what was sent.
          liveRecorder = recorder;
          for (let chunk = 0; chunk < chunks; chunk++) {
            const requests = plan.requests === undefined ? undefined
              : Math.floor((plan.requests * (chunk + 1)) / chunks) - Math.floor((plan.requests * chunk) / chunks);
            const before = recorder.requests;
            await orEnd(runHttpLoad({
              url: plan.url ?? loadUrl,
              method: plan.method,
              headers: plan.headers,
              ...(plan.body === undefined ? {} : { body: plan.body }),
              ...(requests === undefined ? {} : { requests }),
              durationMs: plan.durationMs === undefined ? phaseTimeoutMs / chunks : plan.durationMs / chunks,
              concurrency: plan.concurrency,
              signal: stopLoad.signal,
            }, recorder));
            requestsSoFar += recorder.requests - before;
            phase.http = recorder.stats();
            if (options.signal?.aborted) throw new Interrupted('interrupted');
            if (chunk < chunks - 1) await checkpoint(phase, false, false);
          }
          if (plan.requests !== undefined && recorder.requests < plan.requests) {
            phase.incomplete = `stopped by --phase-timeout after ${recorder.requests} of ${plan.requests} requests`;
          }
        }
        if (options.signal?.aborted) throw new Interrupted('interrupted');
        if (plan.kind === 'load') loadPhasesDone++;
        const lastWarmup = plan.kind === 'warmup' && options.phases[index + 1]?.kind !== 'warmup';
        await checkpoint(phase, true, plan.kind === 'load' || lastWarmup);
      } catch (error) {
        if (error instanceof Interrupted) {
          interruptedDuring = plan.name;
          phase.incomplete = 'interrupted (Ctrl-C)';
        } else if (error instanceof TargetEnded) {
          crashedDuring = plan.name;
          phase.incomplete = `the target ${error.message}`;
        } else {
          throw error;
        }
      } finally {
        if (liveRecorder) phase.http = liveRecorder.stats();
        phase.endMs = Date.now() - startedAtMs;
        statsOut.write({
          type: 'phase', name: phase.name, kind: phase.kind, startMs: phase.startMs, endMs: phase.endMs,
          ...(phase.http ? { requests: phase.http.requests, requestsPerSecond: phase.http.requestsPerSecond } : {}),
          ...(phase.incomplete ? { incomplete: phase.incomplete } : {}),
        });
        progress({ kind: 'phase-end', phase });
      }
      if (crashedDuring !== null || interruptedDuring !== null) break;
    }

    async function runCommandPhase(plan: LoadPhase, phase: RunPhase): Promise<void> {
      const port = new URL(loadUrl).port;
      const command = startCommandLoad({
        command: plan.loadCommand!,
        cwd,
        env: { ...(options.env ?? process.env), LEAKCHECK_TARGET_URL: loadUrl, LEAKCHECK_TARGET_PORT: port, LEAKCHECK_PHASE: plan.name },
        timeoutMs: phaseTimeoutMs,
        signal: stopLoad.signal,
      });
      try {
        // The command's length is unknown: start with frequent checkpoints so a short command
        // still yields a trend, and back off so a long one is not paused by forced GCs all along.
        let interval = options.checkpointIntervalMs ?? 250;
        const maxInterval = Math.max(interval, 5000);
        let finished = false;
        void command.done.then(() => {
          finished = true;
        });
        while (!finished) {
          await orEnd(Promise.race([command.done, delay(interval)]));
          if (!finished && plan.kind === 'load') await checkpoint(phase, false, false);
          interval = Math.min(maxInterval, interval * 1.5);
        }
        phase.command = await command.done;
      } finally {
        command.stop();
      }
    }

    // Done driving: stop the target (or learn how it ended), then analyse.
    const ended = crashedDuring !== null ? await running.exited : undefined;
    const exit: TargetExit = ended ?? await running.stop();
    const outOfMemory = /heap out of memory|Allocation failed - JavaScript heap|ERR_WORKER_OUT_OF_MEMORY/.test(running.stderrTail);

    let analysis: AnalysisResult | null = null;
    let analysisNote: string | undefined;
    const analyze = options.analyze ?? analyzeRunSnapshots;
    if (interruptedDuring !== null) analysisNote = 'the run was interrupted: no snapshot diff';
    else if (!snapshots) analysisNote = 'snapshots were turned off (--no-snapshots): no snapshot diff';
    else if (files.snapshots.length < 3) analysisNote = `snapshot diff needs 3 snapshots, the run has ${files.snapshots.length}`;
    else if (analyze === false) analysisNote = 'snapshot analysis was turned off';
    else {
      progress({ kind: 'analysis' });
      try {
        analysis = await analyze({
          baseline: files.snapshots[0]!,
          target: files.snapshots[files.snapshots.length - 2]!,
          final: files.snapshots[files.snapshots.length - 1]!,
        });
      } catch (error) {
        analysisNote = `snapshot analysis failed: ${error instanceof LeakcheckError ? error.oneLine() : (error as Error).message}`;
      }
    }

    const series = collectSeries(agent, startedAtMs, phases);
    const trends = computeTrends(checkpoints, phases, { minGrowthBytes });
    // The agent runs the memwatch rule online (its restored 'leak' event); GCs whose stats were
    // still in flight when it was told to stop are covered by replaying the rule here.
    const replayed = memwatchRuleEvents(agent.gcs.map((g) => ({ timeMs: g.timeMs, usedHeapBytes: g.usedHeapBytes, forced: g.forced })));
    const memwatchRule = (agent.leaks.length >= replayed.length ? agent.leaks : replayed)
      .map((e) => ({ atMs: e.timeMs - startedAtMs, consecutiveIncreases: e.consecutiveIncreases, growthBytes: e.growthBytes, durationMs: e.durationMs }));
    const allLoad = phases.filter((p) => p.http);
    const sent = allLoad.reduce((s, p) => s + (p.http?.requests ?? 0), 0);
    const failed = allLoad.reduce((s, p) => s + (p.http?.errors ?? 0), 0);
    const crashed = crashedDuring !== null;
    const loadWarning = describeErrorResponses(phases);
    const crashDescription = crashed ? `${describeExit(exit)} during ${crashedDuring}` : undefined;
    const verdict = decideVerdict({
      trends, findings: analysis?.findings ?? [], memwatchRule, minGrowthBytes, crashed, outOfMemory, snapshotsTaken: files.snapshots.length > 0,
      ...(crashDescription === undefined ? {} : { crashDescription }),
      ...(loadWarning === undefined ? {} : { loadWarning }),
      ...(interruptedDuring === null ? {} : { interruptedDuring }),
      ...(!crashed && sent > 0 && failed === sent ? { unusableLoad: `every request failed (${allLoad.flatMap((p) => p.http?.errorSamples ?? [])[0] ?? 'no response'})` } : {}),
    });

    const hello = agent.hello!;
    const agents: AgentSeen[] = server.agents.filter((a) => a.hello).map((a) => ({
      pid: a.hello!.pid,
      ppid: a.hello!.ppid,
      argv: a.hello!.argv,
      chosen: a === agent,
      note: a === agent ? (a.listening.length > 0 ? `listens on port ${a.listening[0]!.port}` : 'first node process that is not a package manager')
        : isWrapperProcess(a.hello!.argv) ? 'package-manager wrapper' : 'not the process that serves the load',
    }));
    const report: RunReport = {
      schemaVersion: RUN_REPORT_SCHEMA_VERSION,
      tool: { name: 'leakcheck', version: toolVersion() },
      runId,
      startedAt,
      durationMs: Date.now() - startedAtMs,
      command: options.command,
      cwd,
      options: {
        url: loadUrl,
        ...(options.phases.find((p) => p.loadCommand)?.loadCommand === undefined ? {} : { loadCommand: options.phases.find((p) => p.loadCommand)!.loadCommand! }),
        concurrency: options.phases.find((p) => p.kind === 'load')?.concurrency ?? 0,
        minGrowthBytes,
        checkpointsPerPhase,
        snapshots,
      },
      target: {
        pid: hello.pid,
        argv: hello.argv,
        nodeVersion: hello.nodeVersion,
        memwatch: hello.memwatch,
        gcSource: hello.gcSource,
        agents,
        exit: ended ? { code: exit.code, signal: exit.signal, phase: crashedDuring } : null,
        crashed,
        outOfMemory,
        stderrTail: running.stderrTail.slice(-4096),
      },
      phases,
      samples: series.samples,
      gcs: series.gcs,
      checkpoints,
      trends,
      memwatchRule,
      analysis,
      ...(analysisNote === undefined ? {} : { analysisNote }),
      verdict,
      files: { ...files, snapshots: files.snapshots.map((f) => (isAbsolute(f) ? f : join(outDir, f))) },
    };
    await writeFile(files.reportJson, runReportToJson(report), { mode: 0o600 });
    await writeFile(files.reportHtml, renderRunHtml(report), { mode: 0o600 });
    return report;
  } finally {
    await stats?.close();
    stopLoadAtEnd();
    if (target && !target.exit) await target.stop();
    await server.close();
  }
}

function safeName(name: string): string {
  return basename(name).replace(/[^A-Za-z0-9._-]/g, '_');
}

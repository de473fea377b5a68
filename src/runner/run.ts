import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_ENV } from '../agent/protocol.js';
import { ErrorCode, isLeakcheckError, LeakcheckError } from '../errors.js';
import { describeExit, type AnalysisResult, type KeepSnapshots, type NotMeasuredCause, type RunPhase, type RunReport } from '../report/index.js';
import { toolVersion } from '../version.js';
import { explainWithAllocationSites, type AllocationSitesResult, type PreloadedSnapshots } from '../analyze.js';
import { analyzeRunSnapshots } from './analysis.js';
import { AgentServer, type AgentConnection } from './agent-server.js';
import { analysisSkipReason, buildRunReport, buildUnmeasuredReport } from './build-report.js';
import { BASELINE_PHASE, scheduleCheckpoints, type PhaseSchedule } from './checkpoint-policy.js';
import { readCgroupMemoryLimit } from './cgroup-limit.js';
import { EarlyParses } from './early-parses.js';
import { StatsStream } from './collect.js';
import type { LoadPhase } from './load-plan.js';
import { driverFor, type PhaseContext } from './phase-drivers.js';
import { foreignLoad, preferClusterPrimary, servingProcesses, urlForListening, waitForClusterWorkers, waitUntilReady } from './readiness.js';
import { processesWithEnv, stopProcesses } from './process-tree.js';
import { applySnapshotPolicy, prepareRunDir, writeRunReport } from './run-files.js';
import type { RunEnding, RunSettingsRecord } from './run-record.js';
import { AgentLost, Interrupted, RunSession, TargetEnded } from './run-session.js';
import { Target, type TargetExit } from './spawn-target.js';
import type { AnalysisFailure } from './verdict.js';

/**
 * Snapshot analysis of the three boundary snapshots (replaceable, e.g. with other thresholds).
 * `preloaded`: the baseline and target snapshots as parsed while the run went on, for
 * analyzeSnapshots's option of that name.
 */
export type SnapshotAnalyzer = (snapshots: { baseline: string; target: string; final: string; preloaded?: PreloadedSnapshots }) => Promise<AnalysisResult>;

export type RunProgressEvent =
  | { kind: 'started'; pid: number; outDir: string }
  | { kind: 'ready'; url: string | undefined; targetPid: number; ignoredPids: number[] }
  /** The --url port is still not the target's, which listens on these instead (said once, early). */
  | { kind: 'wrong-port'; url: string; listening: Array<{ url: string; pid: number }> }
  | { kind: 'phase-start'; phase: string }
  /** While a phase runs, every progressIntervalMs: how far it is (load and checkpoint pauses apart). */
  | {
      kind: 'phase-progress'; phase: string; elapsedMs: number; pauseMs: number;
      requests: number; errors: number; requestsPerSecond: number; heapUsedBytes: number | undefined;
    }
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
  /** Statuses >= 400 that are answers, not failures, for the load gate (e.g. [404]). */
  acceptedStatuses?: readonly number[];
  /** Share of failed load requests above which the run measured nothing (exit 2); default 0.5. */
  maxErrorRate?: number;
  /** How often a phase-progress event is sent while a phase runs; default 10 s. */
  progressIntervalMs?: number;
  /** Which snapshots stay on disk after the run; default on-leak. */
  keepSnapshots?: KeepSnapshots;
  /** Record a memwatch HeapDiff per load phase (opt-in: it pauses each boundary for two in-process snapshots). */
  heapDiff?: boolean;
  /** false: keep @airbnb/node-memwatch out of the target (GC stats from Node's built-ins, no HeapDiff). */
  memwatch?: boolean;
  /** false: no sampling heap profiler in the target, so no allocation sites (--no-allocation-sites). */
  allocationSites?: boolean;
  /** The sampling heap profiler's interval; default 64 KiB. */
  allocationSamplingBytes?: number;
  /** Run V8's allocation tracker in the target, so every snapshotted object carries its allocation stack (--track-allocations; costly). */
  trackAllocations?: boolean;
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
/** One sample per 64 KiB allocated: V8's own default is 32 KiB; twice that halves the cost and still sees any site that grows by MiBs. */
export const defaultAllocationSamplingBytes = 64 * 1024;
export const defaultMaxErrorRate = 0.5;
/** The shortest a checkpoint wait is bounded to by --phase-timeout. */
const minCheckpointWaitMs = 15_000;

const agentEntry = fileURLToPath(new URL('../agent/preload.js', import.meta.url));
/** A new run id: sortable timestamp + short random suffix, safe in a file name. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Runs one leak check: start the target with the agent, wait until it listens, drive the phases
 * with checkpoints (forced GC + sample, and a heap snapshot at every measured boundary), stop it,
 * analyse, and write report.json, report.html and stats.jsonl. Returns the report; the caller
 * chooses the exit code. Throws LeakcheckError when the target cannot be started or never listens.
 */
export async function runTarget(options: RunOptions): Promise<RunReport> {
  if (options.command.length === 0) throw new LeakcheckError(ErrorCode.USAGE, 'no target command given after --');
  const cwd = options.cwd ?? process.cwd();
  const runId = options.runId ?? newRunId();
  const progress = options.onProgress ?? (() => {});
  const loadCommand = options.phases.find((p) => p.loadCommand)?.loadCommand;
  const settings = {
    startTimeoutMs: options.startTimeoutMs ?? 20_000,
    phaseTimeoutMs: options.phaseTimeoutMs ?? 300_000,
    checkpointsPerPhase: Math.max(1, options.checkpointsPerPhase ?? 4),
    snapshots: options.snapshots ?? true,
    heapDiff: options.heapDiff === true,
    keepSnapshots: options.keepSnapshots ?? 'on-leak',
    acceptedStatuses: [...(options.acceptedStatuses ?? [])],
    maxErrorRate: options.maxErrorRate ?? defaultMaxErrorRate,
    // A checkpoint is a wait like any other: --phase-timeout bounds it too (a blocked event loop
    // never answers), though never below a few seconds, what a forced GC on a busy machine can take.
    checkpointTimeoutMs: Math.min(options.checkpointTimeoutMs ?? 600_000, Math.max(options.phaseTimeoutMs ?? 300_000, minCheckpointWaitMs)),
    minGrowthBytes: options.minGrowthBytes ?? defaultMinGrowthBytes,
  };
  const files = await prepareRunDir(resolve(cwd, options.outDir ?? join('reports', runId)));
  const recordedSettings = (loadUrl: string): RunSettingsRecord => ({
    loadUrl,
    ...(loadCommand === undefined ? {} : { loadCommand }),
    concurrency: options.phases.find((p) => p.kind === 'load')?.concurrency ?? 0,
    minGrowthBytes: settings.minGrowthBytes,
    checkpointsPerPhase: settings.checkpointsPerPhase,
    snapshots: settings.snapshots,
    keepSnapshots: settings.keepSnapshots,
    acceptedStatuses: settings.acceptedStatuses,
    maxErrorRate: settings.maxErrorRate,
  });

  const schedules = scheduleCheckpoints(options.phases, settings);
  const analyze = options.analyze ?? analyzeRunSnapshots;
  const early = new EarlyParses(schedules, settings.snapshots && analyze !== false);
  const server = await AgentServer.open();
  const startedAtMs = Date.now();
  let target: Target | undefined;
  const stopLoad = new AbortController();
  let stats: StatsStream | undefined;
  // Set once the phases are done: a failure from there on is leakcheck's own, after the target was measured.
  let measured = false;
  const explicitUrl = options.url ?? options.phases.find((p) => p.url !== undefined)?.url;
  try {
    target = new Target({
      command: options.command,
      cwd,
      env: {
        ...(options.env ?? process.env),
        [AGENT_ENV.socket]: server.socketPath,
        [AGENT_ENV.sampleIntervalMs]: String(options.sampleIntervalMs ?? 250),
        ...(options.memwatch === false ? { [AGENT_ENV.memwatch]: '0' } : {}),
        [AGENT_ENV.allocationSamplingBytes]: String(options.allocationSites === false ? 0 : options.allocationSamplingBytes ?? defaultAllocationSamplingBytes),
        ...(options.trackAllocations ? { [AGENT_ENV.trackAllocations]: '1' } : {}),
      },
      agentPath: options.agentPath ?? agentEntry,
      logPath: files.targetLog,
      ...(options.targetOutput ? { echo: options.targetOutput } : {}),
    });
    const refused = await target.started;
    if (refused) {
      await target.exited;
      throw new LeakcheckError(ErrorCode.TARGET_FAILED_TO_START, `the target ${describeExit(refused)}`);
    }
    progress({ kind: 'started', pid: target.pid!, outDir: files.dir });
    const running = target;

    const ready = await waitUntilReady(server, running, {
      explicitUrl,
      startTimeoutMs: settings.startTimeoutMs,
      targetLog: files.targetLog,
      ...(options.signal ? { signal: options.signal } : {}),
      onWrongPort: (listening) => progress({ kind: 'wrong-port', url: explicitUrl!, listening: listening.map((l) => ({ url: urlForListening(l), pid: l.pid })) }),
    });
    const loadUrl = ready.loadUrl;
    // The run drives the target it started: every phase's load must go to a socket the target listens on.
    const locals = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
    for (const url of new Set([loadUrl, ...options.phases.flatMap((p) => (p.url === undefined ? [] : [p.url]))])) {
      const problem = foreignLoad(url, server.agents, locals);
      if (problem !== undefined) throw new LeakcheckError(ErrorCode.USAGE, `load URL ${problem}`);
    }
    const loadPort = Number(new URL(loadUrl).port || 80);
    const agent = await preferClusterPrimary(server, ready.agent, loadPort, performance.now() + settings.startTimeoutMs);
    await waitForClusterWorkers(server, loadPort, performance.now() + settings.startTimeoutMs);
    const serving = servingProcesses(server.agents, agent, loadPort);
    const ignored = new Set<AgentConnection>();
    const ignoreOthers = (): void => {
      for (const other of server.agents) {
        if (!serving.includes(other) && !ignored.has(other)) {
          other.ignore();
          ignored.add(other);
        }
      }
    };
    ignoreOthers();
    stats = new StatsStream(files.statsJsonl, startedAtMs);
    stats.follow(agent);
    const cgroupLimit = await readCgroupMemoryLimit(agent.hello!.pid);
    progress({ kind: 'ready', url: loadUrl, targetPid: agent.hello!.pid, ignoredPids: [...ignored].flatMap((a) => (a.hello ? [a.hello.pid] : [])) });

    // Load workers must not outlive the target (they would keep hammering a dead port until their
    // budget ran out) nor the run: one signal stops them on a crash, on Ctrl-C and at the end.
    void running.exited.then(() => stopLoad.abort());
    options.signal?.addEventListener('abort', () => stopLoad.abort(), { once: true });
    const session = new RunSession({
      agent, others: serving.slice(1), stats, files, startedAtMs, checkpointTimeoutMs: settings.checkpointTimeoutMs, targetExited: running.exited,
      orEnd: raceEndings(running, options.signal), beforeCheckpoint: ignoreOthers, onSnapshot: (file, snapshot) => early.written(file, snapshot.path, snapshot.sizeBytes),
    });
    const ending = await drivePhases({
      session, loadUrl, cwd, env: options.env ?? process.env, phaseTimeoutMs: settings.phaseTimeoutMs,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 250, stopLoad: stopLoad.signal,
      throwIfInterrupted: () => {
        if (options.signal?.aborted) throw new Interrupted(signalName(options.signal));
      },
    }, stats, options.phases, schedules, progress, options.progressIntervalMs ?? 10_000);
    measured = true;
    early.phasesDone();

    // Done driving: stop the target and everything it started (or learn how it ended), then analyse.
    const exit: TargetExit = await stopTargetTree(running, server);
    const skipReason = (snapshots: readonly string[]) => analysisSkipReason(ending, settings.snapshots, snapshots.length, analyze !== false);
    const skip = skipReason(files.snapshots);
    if (skip === undefined && analyze !== false) progress({ kind: 'analysis' });
    const main = await diffProcessSnapshots(files.snapshots, skip, analyze, early.take(files.snapshots));
    let analysis = main.analysis;
    const analysisNote = main.note;
    const analysisFailure = main.failure;
    let allocationSites: AllocationSitesResult | undefined;
    if (session.allocationProfiles.length >= 2) {
      const explained = explainWithAllocationSites(analysis?.findings ?? [], session.allocationProfiles);
      allocationSites = explained.allocationSites;
      if (analysis) analysis = { ...analysis, findings: explained.findings };
    }
    // Each other serving process gets the same three-snapshot diff of its own snapshots.
    const processes = [];
    for (const other of session.others) {
      const s = other.snapshots;
      const { analysis: otherAnalysis, note, failure } = await diffProcessSnapshots(s, skipReason(s), analyze, early.take(s));
      processes.push({
        hello: other.agent.hello!, checkpoints: other.checkpoints, snapshots: other.snapshots, gcs: other.agent.gcs, leaks: other.agent.leaks,
        analysis: otherAnalysis, ...(note === undefined ? {} : { analysisNote: note }), ...(failure === undefined ? {} : { analysisFailure: failure }), ...(other.lost === undefined ? {} : { lost: other.lost }),
      });
      files.snapshots.push(...s);
    }
    const report = buildRunReport({
      toolVersion: toolVersion(),
      runId,
      startedAtMs,
      endedAtMs: Date.now(),
      command: options.command,
      cwd,
      settings: recordedSettings(loadUrl),
      target: { hello: agent.hello!, memory: agent.memory, gcs: agent.gcs, leaks: agent.leaks, cgroupLimit },
      agents: server.agents.flatMap((a) => (a.hello ? [{ hello: a.hello, chosen: a === agent, listeningPorts: a.listening.map((l) => l.port) }] : [])),
      exit,
      stderrTail: running.stderrTail,
      ending,
      phases: session.phases,
      checkpoints: session.checkpoints,
      processes,
      analysis,
      ...(analysisNote === undefined ? {} : { analysisNote }),
      ...(analysisFailure === undefined ? {} : { analysisFailure }),
      ...(allocationSites === undefined ? {} : { allocationSites }),
      files,
    });
    if (await applySnapshotPolicy(files, settings.keepSnapshots, report.verdict.leak)) report.files.snapshotsDeleted = true;
    await writeRunReport(files, report);
    return report;
  } catch (error) {
    if (measured) throw error;
    // Every ending leaves a report.json, the ones that measured nothing too: a CI job that keeps the
    // report folder finds why, not an old report or none.
    const ownExit = target?.exit;
    const exit = target === undefined ? null : target.pid === undefined ? ownExit ?? null : await stopTargetTree(target, server);
    const cause: NotMeasuredCause = target === undefined || target.pid === undefined ? 'failed-to-start'
      : options.signal?.aborted ? 'interrupted'
      : ownExit !== undefined ? 'exited-before-ready'
      : isLeakcheckError(error) && error.code === ErrorCode.TARGET_NOT_LISTENING ? 'not-listening' : 'error';
    const report = buildUnmeasuredReport({
      toolVersion: toolVersion(), runId, startedAtMs, endedAtMs: Date.now(), command: options.command, cwd,
      settings: recordedSettings(explicitUrl ?? ''),
      pid: target?.pid ?? null, exit, stderrTail: target?.stderrTail ?? '',
      agents: server.agents.flatMap((a) => (a.hello ? [{ hello: a.hello, chosen: false, listeningPorts: a.listening.map((l) => l.port) }] : [])),
      cause,
      error: isLeakcheckError(error) ? { code: error.code, message: error.oneLine() } : { code: 'ERR_INTERNAL', message: error instanceof Error ? error.message : String(error) },
      signal: cause === 'interrupted' ? signalName(options.signal) ?? null : null,
      files,
    });
    await writeRunReport(files, report);
    throw isLeakcheckError(error) ? new RunNotMeasured(error, report) : error;
  } finally {
    await early.close();
    await stats?.close();
    stopLoad.abort();
    if (target) await stopTargetTree(target, server);
    await server.close();
  }
}

/** A run that ended before it measured anything: the error that ended it, and the report.json written for it. */
export class RunNotMeasured extends LeakcheckError {
  readonly report: RunReport;
  constructor(error: LeakcheckError, report: RunReport) {
    super(error.code, error.message, {
      ...(error.file === undefined ? {} : { file: error.file }), ...(error.offset === undefined ? {} : { offset: error.offset, offsetIn: error.offsetIn }), cause: error,
    });
    this.report = report;
  }
}

/** How long processes the target left behind (outside its group) get to exit on SIGTERM. */
const stragglerGraceMs = 2000;

/**
 * One process's three-snapshot diff (baseline, next-to-last, last), or why there is none: `skip`
 * when the run's ending or settings leave nothing to compare, or the analysis's own error.
 */
async function diffProcessSnapshots(
  snapshots: readonly string[], skip: string | undefined, analyze: SnapshotAnalyzer | false, preloaded?: PreloadedSnapshots,
): Promise<{ analysis: AnalysisResult | null; note: string | undefined; failure?: AnalysisFailure }> {
  if (skip !== undefined || analyze === false) return { analysis: null, note: skip };
  try {
    const paths = { baseline: snapshots[0]!, target: snapshots[snapshots.length - 2]!, final: snapshots[snapshots.length - 1]! };
    return { analysis: await analyze(preloaded === undefined ? paths : { ...paths, preloaded }), note: undefined };
  } catch (error) {
    const failure: AnalysisFailure = error instanceof LeakcheckError
      ? { code: error.code, file: error.file ?? null, message: error.oneLine() }
      : { code: null, file: null, message: (error as Error).message };
    return { analysis: null, note: `snapshot analysis failed: ${failure.message}`, failure };
  }
}

/**
 * Stops the target's process group (SIGTERM, SIGKILL after a grace period), then whatever it
 * started outside the group: processes that inherited this run's private socket variable (no
 * other process has it), and agents still connected.
 */
async function stopTargetTree(target: Target, server: AgentServer): Promise<TargetExit> {
  const exit = await target.stop();
  const connected = server.agents.filter((a) => !a.closed && a.hello).map((a) => a.hello!.pid);
  const stragglers = new Set([...await processesWithEnv(AGENT_ENV.socket, server.socketPath), ...connected]);
  stragglers.delete(process.pid);
  if (stragglers.size > 0) await stopProcesses([...stragglers], stragglerGraceMs);
  return exit;
}

/** Every wait of the run races against the target ending on its own (a crash) and against Ctrl-C. */
function raceEndings(running: Target, signal: AbortSignal | undefined): <T>(work: Promise<T>) => Promise<T> {
  const targetEnded = running.exited.then((exit) => {
    throw new TargetEnded(exit);
  });
  targetEnded.catch(() => {});
  const interrupted = new Promise<never>((_resolve, reject) => {
    const fire = (): void => reject(new Interrupted(signalName(signal)));
    if (signal?.aborted) fire();
    else signal?.addEventListener('abort', fire, { once: true });
  });
  interrupted.catch(() => {});
  return (work) => Promise.race([work, targetEnded, interrupted]);
}

/** The signal that stopped the run, when the caller aborted with its name as the reason. */
function signalName(signal: AbortSignal | undefined): string | undefined {
  return typeof signal?.reason === 'string' && /^SIG[A-Z]+$/.test(signal.reason) ? signal.reason : undefined;
}

/** Runs the phases in order with their checkpoints; a crash or an interruption ends the loop, what was measured stays. */
async function drivePhases(
  context: PhaseContext,
  stats: StatsStream,
  plans: readonly LoadPhase[],
  schedules: readonly PhaseSchedule[],
  progress: (event: RunProgressEvent) => void,
  progressIntervalMs: number,
): Promise<RunEnding> {
  const { session } = context;
  for (const [index, plan] of plans.entries()) {
    const schedule = schedules[index]!;
    const phase: RunPhase = { name: plan.name, kind: plan.kind, startMs: stats.elapsedMs(), endMs: 0 };
    session.phases.push(phase);
    stats.phase = plan.name;
    stats.write({ type: 'phase-start', name: plan.name, kind: plan.kind, atMs: phase.startMs });
    progress({ kind: 'phase-start', phase: plan.name });
    session.liveRecorder = undefined;
    const ticker = setInterval(() => {
      const http = session.liveRecorder?.stats();
      progress({
        kind: 'phase-progress', phase: plan.name, elapsedMs: stats.elapsedMs() - phase.startMs, pauseMs: phase.pauseMs ?? 0,
        requests: http?.requests ?? 0,
        errors: Object.entries(http?.statusCounts ?? {}).reduce((n, [status, count]) => n + (status === 'error' || Number(status) >= 400 ? count : 0), 0),
        requestsPerSecond: http?.requestsPerSecond ?? 0, heapUsedBytes: session.heapUsedBytes,
      });
    }, progressIntervalMs);
    ticker.unref();
    try {
      if (schedule.baseline) {
        const baseline: RunPhase = { name: BASELINE_PHASE, kind: 'warmup', startMs: phase.startMs, endMs: phase.startMs };
        session.phases.splice(session.phases.length - 1, 0, baseline);
        await session.checkpoint(baseline, schedule.baseline);
      }
      await driverFor(plan)(context, plan, phase, schedule);
      context.throwIfInterrupted();
      await session.checkpoint(phase, schedule.end);
    } catch (error) {
      if (error instanceof Interrupted) {
        phase.incomplete = { kind: 'interrupted', signal: error.signal ?? null };
        return { kind: 'interrupted', phase: plan.name, ...(error.signal === undefined ? {} : { signal: error.signal }) };
      }
      if (error instanceof TargetEnded) {
        phase.incomplete = { kind: 'target-exited', exit: error.exit };
        return { kind: 'target-exited', phase: plan.name };
      }
      if (error instanceof AgentLost) {
        phase.incomplete = { kind: 'unresponsive', cause: error.what, waitedMs: error.waitedMs };
        return { kind: 'unresponsive', phase: plan.name, cause: error.what, waitedMs: error.waitedMs };
      }
      throw error;
    } finally {
      clearInterval(ticker);
      phase.endMs = stats.elapsedMs();
      stats.write({
        type: 'phase', name: phase.name, kind: phase.kind, startMs: phase.startMs, endMs: phase.endMs,
        ...(phase.http ? { requests: phase.http.requests, requestsPerSecond: phase.http.requestsPerSecond } : {}),
        ...(phase.incomplete ? { incomplete: phase.incomplete } : {}),
      });
      progress({ kind: 'phase-end', phase });
    }
  }
  return { kind: 'completed' };
}

/**
 * The agent's entry, loaded into every node process of the target via
 * NODE_OPTIONS="--import <this file>". Without LEAKCHECK_SOCKET it does nothing at all (no addon
 * load, no timers, no listeners), so a leftover NODE_OPTIONS cannot change a program's behaviour.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { isMainThread } from 'node:worker_threads';
import { AllocationSampler } from './allocation-sampler.js';
import { AgentChannel } from './channel.js';
import { loadMemwatch, OwnGcWindows, startGcStats, type MemwatchLoad } from './gc-stats.js';
import { MemwatchRule } from '../stats/index.js';
import { Checkpoints, sampleMemory } from './phases.js';
import { AGENT_ENV, PROTOCOL_VERSION, type RunnerCommand } from './protocol.js';

const socketPath = process.env[AGENT_ENV.socket];
/** How long a target whose runner died has to exit on SIGTERM before it is killed. */
const runnerLostGraceMs = 5000;
// Worker threads inherit NODE_OPTIONS and run this file too; the process is measured from its
// main thread (process.memoryUsage is process-wide), so a worker's copy stays inert.
if (socketPath && isMainThread) await startAgent(socketPath);

async function startAgent(path: string): Promise<void> {
  // Loaded only with the agent on, so that a leftover NODE_OPTIONS changes nothing: the runner
  // measures every cluster worker and names each by its id.
  const cluster = (await import('node:cluster')).default;
  const clusterWorkerId = cluster.isWorker ? cluster.worker?.id : undefined;
  const intervalMs = Math.max(10, Number(process.env[AGENT_ENV.sampleIntervalMs]) || 250);
  const loaded: MemwatchLoad = process.env[AGENT_ENV.memwatch] === '0'
    ? { error: `disabled by ${AGENT_ENV.memwatch}=0` }
    : loadMemwatch();
  const ownGcs = new OwnGcWindows();
  const sampling = startSampling();
  const checkpoints = new Checkpoints(loaded.memwatch, ownGcs, sampling.sampler);
  const rule = new MemwatchRule();
  let active = true;

  const channel = new AgentChannel(path, (command: RunnerCommand) => {
    // Ignored processes (npm, a shell's node) go quiet but keep the channel: it is how they learn that the runner is gone.
    if (command.type === 'ignore') quiet();
    else if (command.type === 'checkpoint') {
      checkpoints.run(command).then(
        (result) => channel.send({ type: 'reply', id: command.id, ok: true, result }),
        (error: unknown) => channel.send({ type: 'reply', id: command.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
    }
  }, runnerLost);

  const gcStats = startGcStats(loaded.memwatch, (sample) => {
    if (!active) return;
    channel.send({ type: 'gc', sample });
    const event = rule.push(sample);
    if (event) channel.send({ type: 'leak', event });
  }, (timeUs) => ownGcs.contains(timeUs));

  channel.send({
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    pid: process.pid,
    ppid: process.ppid,
    argv: process.argv,
    execArgv: process.execArgv,
    title: process.title,
    nodeVersion: process.version,
    memwatch: loaded.memwatch ? { available: true } : { available: false, error: loaded.error },
    gcSource: gcStats.source,
    allocations: sampling.status,
    ...(clusterWorkerId === undefined ? {} : { clusterWorkerId }),
  });

  // The tracing channel reports every server.listen() without patching net: the runner learns
  // the port to load when the user gave no --url.
  const onListen = (message: unknown): void => {
    const server = (message as { server?: { address(): unknown } }).server;
    const address = server?.address();
    if (active && address && typeof address === 'object' && 'port' in address) {
      const { port, address: host, family } = address as { port: number; address: string; family: string };
      const clusterWorkers = cluster.isPrimary ? Object.keys(cluster.workers ?? {}).length : 0;
      channel.send({ type: 'listening', port, address: host, family, ...(clusterWorkers === 0 ? {} : { clusterWorkers }) });
    }
  };
  const listenChannel = 'tracing:net.server.listen:asyncEnd';
  subscribe(listenChannel, onListen);

  const timer = setInterval(() => {
    if (!channel.closed) {
      const sample = sampleMemory();
      if (checkpoints.busy) sample.duringCheckpoint = true;
      channel.send({ type: 'memory', sample });
    }
  }, intervalMs);
  timer.unref();

  function quiet(): void {
    if (!active) return;
    active = false;
    clearInterval(timer);
    unsubscribe(listenChannel, onListen);
    gcStats.stop();
    sampling.sampler?.stop();
  }

  /**
   * The runner stops the target before it closes the channel, so a channel that closes under a
   * running program means leakcheck died (SIGKILL, a crash): nobody would ever stop this process.
   * Stop it the way the runner would have: SIGTERM (the program's own handlers run), then SIGKILL
   * after a grace period if it is still here.
   */
  function startSampling(): { sampler?: AllocationSampler; status: { sampling: boolean; tracking: boolean; error?: string } } {
    const intervalBytes = Number(process.env[AGENT_ENV.allocationSamplingBytes] ?? 0);
    const tracking = process.env[AGENT_ENV.trackAllocations] === '1';
    if (!(intervalBytes > 0)) return { status: { sampling: false, tracking: false } };
    try {
      return { sampler: AllocationSampler.start(intervalBytes, tracking), status: { sampling: true, tracking } };
    } catch (error) {
      return { status: { sampling: false, tracking: false, error: error instanceof Error ? error.message : String(error) } };
    }
  }

  function runnerLost(): void {
    quiet();
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), runnerLostGraceMs).unref();
    process.kill(process.pid, 'SIGTERM');
  }
}

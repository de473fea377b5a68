import { spawn } from 'node:child_process';
import { cliPath } from './paths.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs dist/cli/main.js asynchronously with NO_COLOR (CLI runs of a test can overlap each other and other files' work). */
export function runCli(args: string[], cwd?: string): Promise<CliResult> {
  return runProcess(process.execPath, [cliPath, ...args], { ...(cwd === undefined ? {} : { cwd }) });
}

/** Any command, collected the same way (NO_COLOR, output as text); killed after timeoutMs if given. */
export function runProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

// The programmatic API: what the CLI does, callable from code. Re-exports only.
export { ErrorCode, LeakcheckError, isLeakcheckError, type ErrorCodeValue } from './errors.js';
export { noProgress, type Progress, type ProgressEvent } from './progress.js';

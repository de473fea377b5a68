// Opening inputs named on the command line: files, FIFOs, pipes and devices, bounded in time and size.
export {
  openInput, checkInputReadable, fileIdentity, writerWaitFromEnv, unreadable, DEFAULT_WRITER_WAIT_MS,
  type InputSource, type OpenInputOptions,
} from './open-input.js';
export { readTextInput, type ReadTextOptions } from './read-text.js';

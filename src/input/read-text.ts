import { ErrorCode, LeakcheckError } from '../errors.js';
import { openInput, unreadable } from './open-input.js';

export interface ReadTextOptions {
  /** What the file is, for messages: "the config", "the report". */
  readonly what: string;
  /** Larger inputs are refused, and reading stops one byte past this (so /dev/zero ends). */
  readonly maxBytes: number;
  readonly writerWaitMs?: number;
}

const UTF8_BOM = '\uFEFF';

/**
 * A small text input (a config or a saved report) of any file kind, read whole up to a size cap
 * and decoded as UTF-8, a leading byte order mark dropped (editors on Windows write one).
 */
export async function readTextInput(path: string, options: ReadTextOptions): Promise<string> {
  const { what, maxBytes } = options;
  const tooLarge = (size?: number) => new LeakcheckError(ErrorCode.FILE_UNREADABLE,
    `${what} is ${size === undefined ? 'over' : `${size} bytes, over`} its limit of ${maxBytes} bytes`, { file: path });
  const source = await openInput(path, options);
  const chunks: Buffer[] = [];
  let total = 0;
  if (source.kind === 'file') {
    try {
      if (source.size > maxBytes) throw tooLarge(source.size);
      // Read to the end, not to the size stat gave: /proc files and growing files say 0 or too little.
      const buffer = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const { bytesRead } = await source.file.read(buffer, 0, buffer.length, null).catch((error: unknown) => { throw unreadable(path, what, error); });
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > maxBytes) throw tooLarge();
        chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
      }
    } finally {
      await source.file.close();
    }
  } else {
    const { stream } = source;
    try {
      for await (const chunk of stream) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) throw tooLarge();
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof LeakcheckError) throw error;
      throw unreadable(path, what, error);
    } finally {
      stream.destroy();
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.startsWith(UTF8_BOM) ? text.slice(1) : text;
}

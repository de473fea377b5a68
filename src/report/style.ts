import { Chalk, supportsColor } from 'chalk';

/** The only place leakcheck touches chalk: renderers receive a Style and stay pure. */
export interface Style {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly green: (text: string) => string;
  readonly cyan: (text: string) => string;
  readonly magenta: (text: string) => string;
}

export interface StyleOptions {
  /** true/false force colours on/off; undefined follows the terminal, NO_COLOR and FORCE_COLOR. */
  color?: boolean | undefined;
}

export function createStyle(options: StyleOptions = {}): Style {
  const autoLevel = supportsColor === false ? 0 : supportsColor.level;
  const wanted = options.color ?? (process.env['NO_COLOR'] ? false : autoLevel > 0);
  const chalk = new Chalk({ level: wanted ? Math.max(autoLevel, 1) as 1 | 2 | 3 : 0 });
  return {
    bold: (t) => chalk.bold(t),
    dim: (t) => chalk.dim(t),
    red: (t) => chalk.red(t),
    yellow: (t) => chalk.yellow(t),
    green: (t) => chalk.green(t),
    cyan: (t) => chalk.cyan(t),
    magenta: (t) => chalk.magenta(t),
  };
}

/** A style that adds nothing, for tests and for files. */
export const plainStyle: Style = createStyle({ color: false });

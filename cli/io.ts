import { createColors } from 'picocolors';
import type { Colors } from 'picocolors/types';

/** A stream the CLI writes to: process.stdout/stderr in the binary (isTTY set on a terminal), buffers in tests. */
export interface Stream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Where a command writes and what environment it reads: process's in the binary, in-memory buffers in tests. */
export interface Io {
  stdout: Stream;
  stderr: Stream;
  env: Record<string, string | undefined>;
}

export const OUTPUT_FORMATS = ['text', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** How a run presents its output: the format (--output/--json) and whether colours are wanted (--no-color). */
export interface Presentation {
  format: OutputFormat;
  /** false with --no-color; NO_COLOR and a stdout that is not a terminal turn colours off too. */
  color: boolean;
}

/** https://no-color.org: NO_COLOR set to anything but the empty string turns colours off. */
export function colorsWanted(io: Io, color: boolean): boolean {
  return color && !io.env.NO_COLOR && io.stdout.isTTY === true && io.env.TERM !== 'dumb';
}

/** The status marks, on a terminal only: piped output stays plain text for grep and scripts. */
export interface Marks {
  ok: string;
  failed: string;
  waiting: string;
}
const TTY_MARKS: Marks = { ok: '✔ ', failed: '✖ ', waiting: '… ' };
const NO_MARKS: Marks = { ok: '', failed: '', waiting: '' };

/**
 * One command's output. Text output goes to stdout, hints to stderr. With `--output json`
 * stdout carries exactly one JSON document and stderr nothing but errors and warnings.
 */
export class Output {
  readonly json: boolean;
  readonly colors: Colors;
  readonly marks: Marks;
  /** stdout is a terminal: a live line can be rewritten in place. */
  readonly tty: boolean;
  private liveShown = false;

  constructor(
    private readonly io: Io,
    presentation: Presentation,
  ) {
    this.json = presentation.format === 'json';
    this.tty = io.stdout.isTTY === true;
    this.colors = createColors(colorsWanted(io, presentation.color));
    this.marks = this.tty ? TTY_MARKS : NO_MARKS;
  }

  /** A line of the text report (nothing in JSON mode: the document says it all). */
  line(text = ''): void {
    if (this.json) return;
    this.clearLive();
    this.io.stdout.write(`${text}\n`);
  }

  /** A hint for the operator beside the text output (the next command to run): stderr, not in JSON mode. */
  hint(text: string): void {
    if (!this.json) this.io.stderr.write(`${text}\n`);
  }

  /** A warning: always stderr, whatever the format. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /**
   * What a wait is doing now: rewritten in place on a terminal; elsewhere the caller prints it as
   * a heartbeat `line`. Nothing in JSON mode.
   */
  live(text: string): void {
    if (this.json || !this.tty) return;
    this.io.stdout.write(`\r\x1b[2K${text}`);
    this.liveShown = true;
  }

  /** Erases the live line, so the next line starts at the margin. */
  clearLive(): void {
    if (!this.liveShown) return;
    this.io.stdout.write('\r\x1b[2K');
    this.liveShown = false;
  }

  /** The machine document of JSON mode (written only in that mode). */
  document(value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

/** Where a command writes and what environment it reads: process's in the binary, in-memory buffers in tests. */
export interface Io {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: Record<string, string | undefined>;
}

/**
 * One command's output. Human output goes to stdout; with `--json` stdout carries exactly
 * one JSON document and the human lines (progress, hints) go to stderr instead.
 */
export class Output {
  constructor(
    private readonly io: Io,
    readonly json: boolean,
  ) {}

  /** A line of the human report (stderr in --json mode, so stdout stays parseable). */
  line(text = ''): void {
    (this.json ? this.io.stderr : this.io.stdout).write(`${text}\n`);
  }

  /** A hint or warning for the operator: always stderr. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** The machine document of --json mode (written only in that mode). */
  document(value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

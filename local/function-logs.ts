import { Console } from 'node:console';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { logger } from '../lambdas/shared/powertools';

/**
 * Where the functions' logs go when they run in the local AWS's process. On AWS each function
 * writes to its CloudWatch Logs group, not to the operator's terminal; locally the file plays that
 * part, so the console tells the story (the CLI's output) and an expected rollback's logged error,
 * stack included, is in the file for whoever wants it. `--verbose` prints them on the console instead.
 */
export interface FunctionLogs {
  /** The log file, or undefined when the logs go to the console (`--verbose`). */
  file?: string;
  /** One line per error the functions logged, for the console (no stack: the file has it). */
  errors: string[];
  close(): void;
}

/** A fresh file per run under the OS's temporary directory: `<tmp>/sagemaker-bluegreen/<name>-<time>.log`. */
export function defaultLogFile(name: string, now = new Date()): string {
  return join(tmpdir(), 'sagemaker-bluegreen', `${name}-${now.toISOString().replace(/[:.]/g, '-')}.log`);
}

/** A Powertools JSON log line at ERROR or CRITICAL, as one line without the stack; undefined for other lines. */
export function errorSummary(line: string): string | undefined {
  let entry: { level?: string; message?: string; errorName?: string; error?: { name?: string; message?: string } };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return undefined;
  }
  if (entry.level !== 'ERROR' && entry.level !== 'CRITICAL') return undefined;
  const error = entry.error?.message ? `${entry.error.name ?? entry.errorName ?? 'Error'}: ${entry.error.message}` : entry.errorName;
  return error ? `${entry.message ?? 'error'}: ${error}` : (entry.message ?? 'error');
}

/**
 * Routes the in-process functions' Powertools logger (lambdas/shared/powertools.ts, one shared by
 * every function) to `file`, written synchronously so nothing is lost when the process exits.
 * `onError` hears a one-line summary of every ERROR/CRITICAL entry (errorSummary). With `verbose`,
 * nothing is routed: Powertools keeps writing to stdout/stderr.
 *
 * Powertools gives no option for the destination: it prints through a `Console` of stdout/stderr
 * built when the logger is constructed. Replacing that `console` property is the one seam; the demo
 * test (test/local/demo.test.ts) fails if a Powertools upgrade moves it.
 */
export function routeFunctionLogs(options: { verbose: boolean; file?: string; onError?: (summary: string) => void }): FunctionLogs {
  const errors: string[] = [];
  if (options.verbose) return { errors, close: () => undefined };
  const file = options.file ?? defaultLogFile('local-aws');
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'a');
  let open = true;
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const text = chunk.toString();
      if (open) writeSync(fd, text);
      for (const line of text.split('\n')) {
        const summary = errorSummary(line);
        if (summary === undefined) continue;
        errors.push(summary);
        options.onError?.(summary);
      }
      done();
    },
  });
  const console = new Console({ stdout: sink, stderr: sink });
  // As Powertools does for its own console: trace prints the message, not a stack (Lambda's behaviour).
  console.trace = (message?: unknown, ...rest: unknown[]) => console.log(message, ...rest);
  const powertools = logger as unknown as { console: Console };
  const previous = powertools.console;
  powertools.console = console;
  return {
    file,
    errors,
    close() {
      if (!open) return;
      open = false;
      powertools.console = previous;
      closeSync(fd);
    },
  };
}

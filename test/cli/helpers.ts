import type { LocalAws } from '../../local/aws';
import { main } from '../../cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a user gets by pasting `npm run local-aws`'s exports. */
export function cliEnv(aws: LocalAws): Record<string, string> {
  return { ...aws.env, BLUEGREEN_STATE_MACHINE_ARN: aws.stateMachineArn, BLUEGREEN_TABLE: aws.tableName, BLUEGREEN_USER: 'tester' };
}

/** `bluegreen <args>` in-process, with stdout and stderr captured. */
export async function bluegreen(env: Record<string, string | undefined>, ...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  });
  return { code, stdout, stderr };
}

export function parseJson<T = Record<string, unknown>>(run: CliRun): T {
  return JSON.parse(run.stdout) as T;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

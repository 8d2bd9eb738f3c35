import { userInfo } from 'node:os';
import { AwsClients, StackTargets, type StackOptions } from './aws';
import { UsageError } from './errors';
import { Output, type Io, type OutputFormat, type Presentation } from './io';

/** Everything one command run needs: output, AWS clients, where the stack is, who runs it. */
export interface Context {
  io: Io;
  out: Output;
  clients: AwsClients;
  targets: StackTargets;
  /** The operator, recorded in requestedBy and rollback reasons. */
  user: string;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

function currentUser(env: Io['env']): string {
  const fromEnv = env.BLUEGREEN_USER ?? env.USER ?? env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The program's own options (cli/main.ts), which every command takes, before or after its name. */
export interface GlobalOptions {
  region?: string;
  profile?: string;
  output?: OutputFormat;
  /** The alias of `--output json`. */
  json?: boolean;
  /** false with --no-color. */
  color?: boolean;
}

/** --output wins when given; --json is its alias, so `--json --output text` contradicts itself. */
export function presentationOf(options: GlobalOptions): Presentation {
  if (options.json && options.output === 'text') throw new UsageError('--json: it means --output json, but --output text is given too; drop one');
  return { format: options.output ?? (options.json ? 'json' : 'text'), color: options.color !== false };
}

/** Runs one command with its own clients, closed afterwards so the process can exit. */
export async function withContext<T>(io: Io, options: StackOptions & GlobalOptions, run: (ctx: Context) => Promise<T>): Promise<T> {
  const out = new Output(io, presentationOf(options));
  const clients = new AwsClients(io.env, { region: options.region, profile: options.profile });
  const ctx: Context = {
    io,
    out,
    clients,
    targets: new StackTargets(options, io.env, clients),
    user: currentUser(io.env),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  try {
    return await run(ctx);
  } finally {
    clients.destroy();
  }
}

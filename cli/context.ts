import { userInfo } from 'node:os';
import { AwsClients, StackTargets, type StackOptions } from './aws';
import { Output, type Io } from './io';

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

/** Runs one command with its own clients, closed afterwards so the process can exit. */
export async function withContext<T>(io: Io, options: StackOptions & { json?: boolean }, run: (ctx: Context) => Promise<T>): Promise<T> {
  const clients = new AwsClients(io.env);
  const ctx: Context = {
    io,
    out: new Output(io, options.json === true),
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

import { executionArnOf } from '../../lambdas/shared/arns';
import { EXECUTION_ARN_PATTERN, type StackOptions } from '../aws';
import type { Context } from '../context';
import { EXIT, UsageError } from '../errors';
import { followExecution, renderOutcome, renderStateLine, type FollowResult } from '../follow';
import { checkExecutionName } from '../promotion-input';

export interface WatchOptions extends StackOptions {
  json?: boolean;
  /** Milliseconds between two polls. */
  interval: number;
}

/** An execution ARN as given, or a name completed with the state machine's ARN. */
export async function resolveExecutionArn(ctx: Context, ref: string): Promise<string> {
  if (ref.startsWith('arn:')) {
    if (!EXECUTION_ARN_PATTERN.test(ref)) {
      throw new UsageError(`<execution>: ${ref} is not an execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<name>); pass the ARN "bluegreen promote" printed, or the execution name`);
    }
    return ref;
  }
  try {
    checkExecutionName(ref);
  } catch {
    throw new UsageError(`<execution>: "${ref}" is neither an execution ARN nor a valid execution name; pass the ARN "bluegreen promote" printed, or the name`);
  }
  const stateMachineArn = await ctx.targets.stateMachineArn();
  return executionArnOf(stateMachineArn, ref);
}

/** Follows an execution to its end; shared by `watch` and `promote --watch`. Returns the exit code. */
export async function followAndReport(ctx: Context, executionArn: string, intervalMs: number, started?: Record<string, unknown>): Promise<number> {
  // `promote --watch` has just printed the ARN.
  if (!started) ctx.out.line(`Following ${executionArn}`);
  const result: FollowResult = await followExecution(ctx.clients, executionArn, {
    intervalMs,
    sleep: ctx.sleep,
    onLine: (line) => ctx.out.line(renderStateLine(line)),
  });
  ctx.out.line(renderOutcome(result));
  const code = result.status === 'SUCCEEDED' ? EXIT.ok : EXIT.promotionFailed;
  ctx.out.document({ ...(started ? { started } : {}), ...result, exitCode: code });
  return code;
}

export async function watch(ctx: Context, ref: string, options: WatchOptions): Promise<number> {
  return followAndReport(ctx, await resolveExecutionArn(ctx, ref), options.interval);
}

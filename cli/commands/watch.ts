import { executionArnOf } from '../../lambdas/shared/arns';
import { EXECUTION_ARN_PATTERN, type StackOptions } from '../aws';
import type { Context } from '../context';
import { formatSeconds } from '../duration';
import { EXIT, UsageError } from '../errors';
import { describeExecution, followExecution, renderOutcome, renderStateLine, type FollowResult } from '../follow';
import { liveLine, waitFacts, type CurrentState } from '../live';
import { checkExecutionName } from '../promotion-input';

/** How a command follows an execution: `watch`, and `promote --watch`. */
export interface FollowFlags {
  /** Milliseconds between two polls. */
  interval: number;
  /** Milliseconds after which to stop following (the execution goes on); absent: until it ends. */
  timeout?: number;
  /** Milliseconds between two heartbeat lines when stdout is not a terminal. */
  heartbeat: number;
}

export interface WatchOptions extends StackOptions, FollowFlags {}

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

/**
 * The live line of a wait: on a terminal rewritten in place at every poll; elsewhere printed as a
 * heartbeat line every `heartbeat` ms, so a CI log shows the watch is alive. Nothing in JSON mode.
 */
function liveReporter(ctx: Context, heartbeatMs: number): (current: CurrentState) => Promise<void> {
  let lastBeat = ctx.now().getTime();
  return async (current) => {
    if (ctx.out.json) return;
    const now = ctx.now();
    if (!ctx.out.tty && now.getTime() - lastBeat < heartbeatMs) return;
    const text = liveLine(await waitFacts(ctx.clients, current, now));
    if (ctx.out.tty) ctx.out.live(ctx.out.colors.dim(`${ctx.out.marks.waiting}${text}`));
    else {
      lastBeat = now.getTime();
      ctx.out.line(`  ... ${text}`);
    }
  };
}

function outcomeLine(ctx: Context, result: FollowResult): string {
  const text = renderOutcome(result);
  const { colors, marks } = ctx.out;
  return result.status === 'SUCCEEDED' ? colors.green(`${marks.ok}${text}`) : colors.red(`${marks.failed}${text}`);
}

/** Follows an execution to its end; shared by `watch` and `promote --watch`. Returns the exit code. */
export async function followAndReport(ctx: Context, executionArn: string, flags: FollowFlags, started?: Record<string, unknown>): Promise<number> {
  // `promote --watch` has just printed the ARN; `watch` says what it follows once it is known to exist.
  if (!started) {
    await describeExecution(ctx.clients, executionArn);
    ctx.out.line(`Following ${executionArn}`);
  }
  const result: FollowResult = await followExecution(ctx.clients, executionArn, {
    intervalMs: flags.interval,
    sleep: ctx.sleep,
    onLine: (line) => ctx.out.line(renderStateLine(line)),
    onWait: liveReporter(ctx, flags.heartbeat),
    deadline: flags.timeout === undefined ? undefined : { at: ctx.now().getTime() + flags.timeout, now: () => ctx.now().getTime(), label: formatSeconds(flags.timeout / 1000) },
  });
  ctx.out.line(outcomeLine(ctx, result));
  const code = result.status === 'SUCCEEDED' ? EXIT.ok : EXIT.promotionFailed;
  ctx.out.document({ ...(started ? { started } : {}), ...result, exitCode: code });
  return code;
}

export async function watch(ctx: Context, ref: string, options: WatchOptions): Promise<number> {
  return followAndReport(ctx, await resolveExecutionArn(ctx, ref), options);
}

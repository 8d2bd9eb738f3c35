import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { modelPackageParts } from '../../lambdas/shared/input';
import type { StackOptions } from '../aws';
import type { Context } from '../context';
import { EXIT, UsageError } from '../errors';
import { buildPromotionInput, executionNameFor, readStackLimits, stackLimitChecks, stateMachineNotFound, type PromotionOptions } from '../promotion-input';
import { followAndReport, type FollowFlags } from './watch';

export interface PromoteOptions extends StackOptions, PromotionOptions, FollowFlags {
  watch?: boolean;
}

export async function promote(ctx: Context, endpointName: string, options: PromoteOptions): Promise<number> {
  // Validated before anything is called: a bad input never reaches AWS.
  const input = buildPromotionInput(endpointName, options, ctx.user);
  const name = executionNameFor(input, options, ctx.now());
  const stateMachineArn = await ctx.targets.stateMachineArn();
  // The limits the workflow's first state checks, refused here in the same words before anything starts.
  const limits = stackLimitChecks(input, await readStackLimits(ctx.clients, stateMachineArn));
  if (limits.refusals.length > 0) throw new UsageError(`the workflow would refuse this promotion, nothing was started:\n  ${limits.refusals.join('\n  ')}`);
  for (const note of limits.notes) ctx.out.note(`Note: ${note}`);
  let executionArn: string;
  let startDate: Date | undefined;
  try {
    const out = await ctx.clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    executionArn = out.executionArn ?? '';
    startDate = out.startDate;
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
      throw new UsageError(`--name: an execution named ${name} already exists with another input; pass another --name (or leave it out for a fresh one)`, { cause: error });
    }
    if (error instanceof Error && error.name === 'StateMachineDoesNotExist') throw stateMachineNotFound(stateMachineArn, error);
    if (error instanceof Error && error.name === 'InvalidName') {
      throw new UsageError(`--name: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const version = modelPackageParts(input.modelPackageArn).version;
  const started = { executionArn, executionName: name, startDate: startDate?.toISOString() ?? null, endpointName, modelPackageVersion: version, input };
  if (!options.watch) {
    ctx.out.document(started);
    if (!ctx.out.json) ctx.io.stdout.write(`${executionArn}\n`);
    ctx.out.hint(`Started the promotion of ${endpointName} to version ${version}. Follow it: bluegreen watch ${name}   Abort it: bluegreen rollback ${endpointName}`);
    return EXIT.ok;
  }
  if (!ctx.out.json) ctx.io.stdout.write(`${executionArn}\n`);
  return followAndReport(ctx, executionArn, options, started);
}

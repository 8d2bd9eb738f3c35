import { InvalidArgumentError, type Command } from 'commander';
import type { StackOptions } from './aws';
import type { ApproveOptions, RejectOptions } from './commands/approve';
import type { Context, GlobalOptions } from './context';

type Run = (options: StackOptions & GlobalOptions, command: (ctx: Context) => Promise<number>) => Promise<void>;
type WithStackOptions = (command: Command, uses: { stateMachine?: boolean; table?: boolean }) => Command;

const reasonText = (value: string) => {
  if (value.trim() === '') throw new InvalidArgumentError('--reason takes a non-empty text: why, as the history will show it.');
  return value;
};

const ANSWER_HELP = `
Who answers: $BLUEGREEN_USER, else your login name (as every command records it).
Exit 4 when the endpoint does not exist, no promotion waits for approval on it, or its gate was
already answered or timed out.`;

/**
 * `bluegreen approve` and `bluegreen reject`: answer the manual approval gate of the promotion in
 * flight (README "Approval gate"). Only commander and types here: the command module (and the SDK)
 * loads when one of them runs.
 */
export function addApprovalCommands(program: Command, run: Run, stackOptions: WithStackOptions): void {
  stackOptions(
    program
      .command('approve')
      .summary('let the promotion waiting for approval move the traffic to green')
      .description(
        'Answer the approval gate of the promotion in flight: it goes on to the shift (traffic to green, the bake, blue deleted). Who approved (and why, with --reason) is recorded in the history.',
      )
      .argument('<endpoint>', 'the SageMaker endpoint')
      .option('--reason <text>', 'why, recorded in the history', reasonText),
    { table: true },
  )
    .addHelpText(
      'after',
      `${ANSWER_HELP}

Examples:
  bluegreen approve churn-prediction
  bluegreen approve churn-prediction --reason "offline eval signed off (JIRA-123)" --output json`,
    )
    .action((endpoint: string, options: ApproveOptions) => run(options, async (ctx) => (await import('./commands/approve')).approve(ctx, endpoint, options)));

  stackOptions(
    program
      .command('reject')
      .summary('roll the promotion waiting for approval back to blue')
      .description('Answer the approval gate of the promotion in flight with a no: it rolls back to blue, and the history records who rejected it and why.')
      .argument('<endpoint>', 'the SageMaker endpoint')
      .requiredOption('--reason <text>', 'why, recorded in the history and the rollback reason', reasonText),
    { table: true },
  )
    .addHelpText(
      'after',
      `${ANSWER_HELP}

Examples:
  bluegreen reject churn-prediction --reason "latency regression in the shadow test"`,
    )
    .action((endpoint: string, options: RejectOptions) => run(options, async (ctx) => (await import('./commands/approve')).reject(ctx, endpoint, options)));
}

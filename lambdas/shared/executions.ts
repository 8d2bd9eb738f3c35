import { DescribeExecutionCommand, type DescribeExecutionOutput, type SFNClient } from '@aws-sdk/client-sfn';

/**
 * DescribeExecution, or undefined when there is no such execution (never started, or past Step
 * Functions' 90 days of closed executions): the one place that answers "does it exist, and how did it end".
 */
export async function describeExecutionIfExists(sfn: SFNClient, executionArn: string): Promise<DescribeExecutionOutput | undefined> {
  try {
    return await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { bluegreen } from './helpers';

// --stack reads the state machine and the table from the deployed stack's outputs (DescribeStacks).
const cloudformation = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' };
const STATE_MACHINE = 'arn:aws:states:eu-west-1:444455556666:stateMachine:PromotionStateMachine1A2B';

beforeEach(() => {
  cloudformation.reset();
  sfn.reset();
  cloudformation.on(DescribeStacksCommand, { StackName: 'SageMakerBlueGreen' }).resolves({
    Stacks: [
      {
        StackName: 'SageMakerBlueGreen',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [
          { OutputKey: 'StateMachineArn', OutputValue: STATE_MACHINE },
          { OutputKey: 'HistoryTableName', OutputValue: 'SageMakerBlueGreen-History-1' },
        ],
      },
    ],
  });
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
});

test('GIVEN --stack WHEN watch gets an execution name THEN its ARN is built from the stack output StateMachineArn', async () => {
  const run = await bluegreen(env, 'watch', 'churn-v7-20250101', '--stack', 'SageMakerBlueGreen');
  expect(run.code).toBe(4);
  expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, {
    executionArn: 'arn:aws:states:eu-west-1:444455556666:execution:PromotionStateMachine1A2B:churn-v7-20250101',
  });
});

test('GIVEN BLUEGREEN_STACK and no flag THEN the stack is read too; a flag wins over it', async () => {
  await bluegreen({ ...env, BLUEGREEN_STACK: 'SageMakerBlueGreen' }, 'watch', 'e1');
  expect(cloudformation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'SageMakerBlueGreen' });
  cloudformation.resetHistory();
  const other = 'arn:aws:states:eu-west-1:444455556666:stateMachine:Other';
  await bluegreen({ ...env, BLUEGREEN_STACK: 'SageMakerBlueGreen' }, 'watch', 'e1', '--state-machine-arn', other);
  expect(cloudformation).not.toHaveReceivedCommand(DescribeStacksCommand);
  expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: `${other.replace(':stateMachine:', ':execution:')}:e1` });
});

test('GIVEN a stack that does not exist THEN exit 4 naming it', async () => {
  cloudformation
    .on(DescribeStacksCommand, { StackName: 'Nope' })
    .rejects(new CloudFormationServiceException({ name: 'ValidationError', $fault: 'client', message: 'Stack with id Nope does not exist', $metadata: {} }));
  const run = await bluegreen(env, 'watch', 'e1', '--stack', 'Nope');
  expect(run.code).toBe(4);
  expect(run.stderr).toContain('stack Nope does not exist in this account and region');
});

test('GIVEN a stack without the outputs THEN exit 2 saying which output is missing', async () => {
  cloudformation.on(DescribeStacksCommand, { StackName: 'Unrelated' }).resolves({ Stacks: [{ StackName: 'Unrelated', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: [] }] });
  const run = await bluegreen(env, 'watch', 'e1', '--stack', 'Unrelated');
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('stack Unrelated has no output StateMachineArn; is it a sagemaker-bluegreen stack?');
});

test('GIVEN a malformed --state-machine-arn THEN exit 2 naming the flag', async () => {
  const run = await bluegreen(env, 'watch', 'e1', '--state-machine-arn', 'PromotionStateMachine');
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('--state-machine-arn: PromotionStateMachine is not a state machine ARN');
});

import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { StepHandlers } from '../../local/executor';
import { LocalStepFunctions } from '../../local/stepfunctions';
import type { SynthesizedWorkflow } from '../../local/template';

/**
 * The local Step Functions' RedriveExecution, held to the API reference
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html):
 * only FAILED, ABORTED or TIMED_OUT Standard executions (ExecutionNotRedrivable otherwise); the
 * execution continues from its unsuccessful step with that step's input, under the same ARN;
 * the steps that succeeded are not run again; the history gains ExecutionRedriven.
 */
const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:Redrive';
const fn = (name: string) => `arn:aws:lambda:us-east-1:111122223333:function:${name}`;
const workflow = {
  definition: {
    StartAt: 'First',
    States: {
      First: { Type: 'Task', Resource: fn('first'), ResultPath: '$.first', Next: 'Second' },
      Second: { Type: 'Task', Resource: fn('second'), ResultPath: '$.second', Next: 'Done' },
      Done: { Type: 'Succeed' },
    },
  },
  taskSteps: { First: 'describe-blue', Second: 'create-green' },
  waitStates: [],
  putEventsStates: [],
  stateMachineArn: STATE_MACHINE,
} as unknown as SynthesizedWorkflow;

const calls: Array<{ state: string; input: unknown }> = [];
/** Second fails while `failing` is above 0; `gate` holds it (a step running when the execution is stopped). */
let failing = 0;
let gate: Promise<void> | undefined;
const handlers = {
  'describe-blue': async (input: unknown) => {
    calls.push({ state: 'First', input });
    return 'first done';
  },
  'create-green': async (input: unknown) => {
    calls.push({ state: 'Second', input });
    if (gate) await gate;
    if (failing > 0) {
      failing -= 1;
      throw Object.assign(new Error('boom'), { name: 'Boom' });
    }
    return 'second done';
  },
} as unknown as StepHandlers;

let local: LocalStepFunctions;
let client: SFNClient;
const statusEvents: Array<{ name: string; status: string; redriveCount: number }> = [];

beforeAll(async () => {
  local = new LocalStepFunctions({ workflow, handlers, secondsToMs: () => 0 });
  const url = await local.listen();
  client = new SFNClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  local.events.on('event', (e: { detail: { name: string; status: string; redriveCount: number } }) => statusEvents.push({ name: e.detail.name, status: e.detail.status, redriveCount: e.detail.redriveCount }));
});
afterAll(async () => {
  client.destroy();
  await local.close();
});
beforeEach(() => {
  calls.length = 0;
  failing = 0;
  gate = undefined;
});

async function run(name: string): Promise<string> {
  const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name, input: JSON.stringify({ n: 1 }) }));
  await local.waitFor(executionArn!);
  return executionArn!;
}
const redrive = (executionArn: string, clientToken?: string) => client.send(new RedriveExecutionCommand({ executionArn, clientToken }));

test('GIVEN an execution FAILED in its second step WHEN redriven THEN only that step runs again, with the input it had, under the same ARN', async () => {
  failing = 1;
  const arn = await run('failed-once');
  expect(await client.send(new DescribeExecutionCommand({ executionArn: arn }))).toMatchObject({ status: 'FAILED', error: 'Boom', redriveCount: 0, redriveStatus: 'REDRIVABLE' });
  const firstInputOfSecond = calls.find((c) => c.state === 'Second')!.input;

  const { redriveDate } = await redrive(arn);
  await local.waitFor(arn);

  expect(redriveDate).toBeInstanceOf(Date);
  expect(calls.map((c) => c.state)).toEqual(['First', 'Second', 'Second']);
  expect(calls[2]!.input).toEqual(firstInputOfSecond);
  const described = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
  expect(described).toMatchObject({ executionArn: arn, status: 'SUCCEEDED', redriveCount: 1, redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven' });
  expect(JSON.parse(described.output!)).toEqual({ n: 1, first: 'first done', second: 'second done' });
  const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn: arn }));
  const types = events!.map((e) => e.type);
  expect(types.indexOf('ExecutionFailed')).toBeLessThan(types.indexOf('ExecutionRedriven'));
  expect(events!.find((e) => e.type === 'ExecutionRedriven')?.executionRedrivenEventDetails).toEqual({ redriveCount: 1 });
  expect(types.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
  // Status changes as EventBridge delivers them: the failure, the redrive (RUNNING again), its end.
  expect(statusEvents.filter((e) => e.name === 'failed-once')).toEqual([
    { name: 'failed-once', status: 'RUNNING', redriveCount: 0 },
    { name: 'failed-once', status: 'FAILED', redriveCount: 0 },
    { name: 'failed-once', status: 'RUNNING', redriveCount: 1 },
    { name: 'failed-once', status: 'SUCCEEDED', redriveCount: 1 },
  ]);
});

test('GIVEN an execution stopped while its second step ran WHEN redriven THEN it continues from that step', async () => {
  let open!: () => void;
  gate = new Promise((resolve) => (open = resolve));
  const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'stopped', input: '{}' }));
  while (!calls.some((c) => c.state === 'Second')) await new Promise((r) => setTimeout(r, 5));
  await client.send(new StopExecutionCommand({ executionArn, error: 'OperatorStop' }));
  await local.waitFor(executionArn!);
  expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'ABORTED', redriveStatus: 'REDRIVABLE' });
  gate = undefined;
  open();

  await redrive(executionArn!);
  await local.waitFor(executionArn!);

  expect(calls.map((c) => c.state)).toEqual(['First', 'Second', 'Second']);
  expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
});

test('GIVEN the same redrive request sent twice (one clientToken) THEN it redrives once and answers the second alike', async () => {
  failing = 1;
  gate = new Promise(() => undefined);
  const arn = await (async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'token-twice', input: '{}' }));
    return executionArn!;
  })();
  while (!calls.some((c) => c.state === 'Second')) await new Promise((r) => setTimeout(r, 5));
  await client.send(new StopExecutionCommand({ executionArn: arn }));
  await local.waitFor(arn);
  gate = undefined;
  calls.length = 0;

  const first = await redrive(arn, 'token-1');
  const second = await redrive(arn, 'token-1');
  await local.waitFor(arn);

  expect(second.redriveDate).toEqual(first.redriveDate);
  expect(calls.map((c) => c.state)).toEqual(['Second']);
  expect(await client.send(new DescribeExecutionCommand({ executionArn: arn }))).toMatchObject({ redriveCount: 1 });
});

test.each([
  ['SUCCEEDED', async () => run('succeeded'), /Execution is SUCCEEDED and cannot be redriven/],
  [
    'RUNNING',
    async () => {
      gate = new Promise(() => undefined);
      const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'running', input: '{}' }));
      return executionArn!;
    },
    /Execution is RUNNING and cannot be redriven/,
  ],
])('GIVEN an execution %s WHEN redriven THEN ExecutionNotRedrivable, and nothing runs', async (_status, given, message) => {
  const arn = await given();
  const before = calls.length;
  await expect(redrive(arn)).rejects.toMatchObject({ name: 'ExecutionNotRedrivable', message: expect.stringMatching(message) });
  expect(calls.length).toBe(before);
});

test('GIVEN an unknown execution or a malformed ARN WHEN redriven THEN ExecutionDoesNotExist or InvalidArn', async () => {
  await expect(redrive(`${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:nobody`)).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  await expect(redrive('not-an-arn')).rejects.toMatchObject({ name: 'InvalidArn' });
});

import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { executionArnOf } from '../lambdas/shared/arns';
import { completeTask, startExecution, type ExecutionEvent, type ExecutionResult, type RunningExecution, type StepHandlers } from './executor';
import { LOCAL_ACCOUNT, LOCAL_REGION, type SynthesizedWorkflow } from './template';

const stateMachineName = (arn: string) => arn.split(':').pop() ?? arn;

/**
 * A local AWS Step Functions endpoint for the one synthesized state machine, speaking
 * awsJson1_0 (`X-Amz-Target: AWSStepFunctions.<Op>`), so the real @aws-sdk/client-sfn —
 * in the CLI, the trigger Lambdas and the tests — starts, watches and stops promotions
 * here exactly as it would in AWS. Executions run in-process on aws-local-stepfunctions.
 * Semantics follow the API reference:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */

/** Execution names: 1–80 characters, none of whitespace, < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : / or control characters. */
// eslint-disable-next-line no-control-regex -- the API reference forbids control characters in names
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

interface Execution {
  arn: string;
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  events: ExecutionEvent[];
  running?: RunningExecution;
  done: Promise<ExecutionResult | undefined>;
}

class SfnError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface LocalStepFunctionsOptions {
  workflow: SynthesizedWorkflow;
  handlers: StepHandlers;
  /** The compressed clock: real ms for simulated seconds. */
  secondsToMs: (seconds: number) => number;
}

export class LocalStepFunctions {
  readonly events = new EventEmitter();
  private readonly executions = new Map<string, Execution>();
  /** Test hook: the next `times` invocations of a step crash like a Lambda runtime failure. */
  private readonly crashes = new Map<string, number>();
  private server?: Server;
  url = '';

  constructor(private readonly options: LocalStepFunctionsOptions) {}

  async listen(): Promise<string> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const e of this.executions.values()) if (e.status === 'RUNNING') e.running?.abort();
    await Promise.all([...this.executions.values()].map((e) => e.done.catch(() => undefined)));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * Makes the next `times` invocations of `step` fail as a crashed Lambda does (errorType
   * `Runtime.ExitError`, after the handler did part of its work when `afterHandler` is set).
   */
  crashStep(step: string, times = 1, options: { afterHandler?: boolean } = {}): void {
    this.crashes.set(step, times);
    this.crashAfter.set(step, options.afterHandler ?? false);
  }
  private readonly crashAfter = new Map<string, boolean>();

  private crashable(): LocalStepFunctionsOptions['handlers'] {
    const wrapped = { ...this.options.handlers };
    for (const [step, handler] of Object.entries(this.options.handlers)) {
      wrapped[step as keyof typeof wrapped] = async (event: never) => {
        const left = this.crashes.get(step) ?? 0;
        if (left <= 0) return handler(event);
        this.crashes.set(step, left - 1);
        if (this.crashAfter.get(step)) await handler(event);
        const crash = new Error(`RequestId: local Error: Runtime exited with error: signal: killed (injected crash of ${step})`);
        crash.name = 'Runtime.ExitError';
        throw crash;
      };
    }
    return wrapped;
  }

  /** Resolves when the execution ends (for tests and the demo). */
  async waitFor(executionArn: string): Promise<Execution> {
    const e = this.get(executionArn);
    await e.done;
    return e;
  }

  list(): Execution[] {
    return [...this.executions.values()];
  }

  private get(arn: string): Execution {
    const e = this.executions.get(arn);
    if (!e) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  start(input: { stateMachineArn?: string; name?: string; input?: string }): { executionArn: string; startDate: number } {
    if (input.stateMachineArn !== this.options.workflow.stateMachineArn) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${input.stateMachineArn}'`);
    const name = input.name ?? crypto.randomUUID();
    if (name.length < 1 || name.length > 80 || NAME_FORBIDDEN.test(name)) throw new SfnError('InvalidName', `Invalid Name: '${name}'`);
    const raw = input.input ?? '{}';
    // API reference: "The string that contains the JSON input data for the execution ... Length constraints: Maximum length of 262144."
    if (Buffer.byteLength(raw, 'utf8') > 262_144) throw new SfnError('ValidationException', '1 validation error detected: Value at \'input\' failed to satisfy constraint: Member must have length less than or equal to 262144');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const arn = executionArnOf(this.options.workflow.stateMachineArn, name);
    const existing = this.executions.get(arn);
    if (existing) {
      // Standard workflows: same name and input while running → the same execution; otherwise ExecutionAlreadyExists.
      if (existing.status === 'RUNNING' && existing.input === raw) return { executionArn: arn, startDate: existing.startDate.getTime() / 1000 };
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const running = startExecution(this.options.workflow, { input: parsed, name, handlers: this.crashable(), secondsToMs: this.options.secondsToMs });
    const execution: Execution = { arn, name, input: raw, status: 'RUNNING', startDate: new Date(), events: running.events, running, done: Promise.resolve(undefined) };
    execution.done = running.result.then((result) => {
      execution.events = result.events;
      if (execution.status === 'RUNNING') {
        execution.status = result.status;
        execution.output = result.output === undefined ? undefined : JSON.stringify(result.output);
        execution.error = result.error;
        execution.cause = result.cause;
      }
      execution.stopDate = new Date();
      this.emitStatusChange(execution);
      return result;
    });
    this.executions.set(arn, execution);
    this.emitStatusChange(execution);
    return { executionArn: arn, startDate: execution.startDate.getTime() / 1000 };
  }

  stop(input: { executionArn: string; error?: string; cause?: string }): { stopDate: number } {
    const e = this.get(input.executionArn);
    if (e.status === 'RUNNING') {
      e.status = 'ABORTED';
      e.error = input.error;
      e.cause = input.cause;
      e.running?.abort();
    }
    return { stopDate: Date.now() / 1000 };
  }

  /** The "Step Functions Execution Status Change" event EventBridge would deliver. */
  private emitStatusChange(e: Execution): void {
    this.events.emit('event', {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: LOCAL_ACCOUNT,
      time: new Date().toISOString(),
      region: LOCAL_REGION,
      resources: [e.arn],
      detail: {
        executionArn: e.arn,
        stateMachineArn: this.options.workflow.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate.getTime(),
        stopDate: e.stopDate?.getTime() ?? null,
        input: e.input,
        output: e.output ?? null,
        error: e.error ?? null,
        cause: e.cause ?? null,
      },
    });
  }

  private describe(e: Execution) {
    return {
      executionArn: e.arn,
      stateMachineArn: this.options.workflow.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate.getTime() / 1000,
      stopDate: e.stopDate ? e.stopDate.getTime() / 1000 : undefined,
      input: e.input,
      output: e.output,
      error: e.error,
      cause: e.cause,
    };
  }

  private history(e: Execution, reverse: boolean) {
    const events = e.events.map((ev, i) => {
      const base = { id: i + 1, previousEventId: i, timestamp: ev.at / 1000 };
      switch (ev.type) {
        case 'StateEntered':
          return {
            ...base,
            type: `${ev.stateType ?? 'Task'}StateEntered`,
            stateEnteredEventDetails: { name: ev.state, input: ev.input === undefined ? undefined : JSON.stringify(ev.input) },
          };
        case 'StateExited':
          return { ...base, type: `${ev.stateType ?? 'Task'}StateExited`, stateExitedEventDetails: { name: ev.state } };
        case 'StateFailed':
          return { ...base, type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'lambda', resource: ev.state, error: ev.error, cause: ev.cause } };
        case 'ExecutionFailed':
          return { ...base, type: 'ExecutionFailed', executionFailedEventDetails: { error: ev.error, cause: ev.cause } };
        default:
          return { ...base, type: ev.type };
      }
    });
    return { events: reverse ? events.reverse() : events };
  }

  private handle(operation: string, body: Record<string, unknown>): unknown {
    switch (operation) {
      case 'StartExecution':
        return this.start(body as never);
      case 'DescribeExecution':
        return this.describe(this.get(String(body.executionArn)));
      case 'StopExecution':
        return this.stop(body as never);
      case 'ListExecutions': {
        const filter = body.statusFilter as string | undefined;
        const executions = this.list()
          .filter((e) => !filter || e.status === filter)
          .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
          .map((e) => {
            const { input: _input, output: _output, error: _error, cause: _cause, ...summary } = this.describe(e);
            return summary;
          });
        return { executions: executions.slice(0, Number(body.maxResults ?? 100) || 100) };
      }
      case 'SendTaskSuccess':
      case 'SendTaskFailure': {
        const token = String(body.taskToken ?? '');
        const known = operation === 'SendTaskSuccess'
          ? completeTask(token, { output: JSON.parse(String(body.output ?? '{}')) })
          : completeTask(token, { error: String(body.error ?? 'States.TaskFailed'), cause: body.cause === undefined ? undefined : String(body.cause) });
        // A token that is no longer waiting (timed out, or its execution ended): TaskTimedOut, as the API reference says.
        if (!known) throw new SfnError('TaskTimedOut', 'Task Timed Out: the task token is no longer valid');
        return {};
      }
      case 'SendTaskHeartbeat':
        return {};
      case 'GetExecutionHistory':
        return this.history(this.get(String(body.executionArn)), body.reverseOrder === true);
      case 'DescribeStateMachine':
        return {
          stateMachineArn: this.options.workflow.stateMachineArn,
          name: stateMachineName(this.options.workflow.stateMachineArn),
          status: 'ACTIVE',
          type: 'STANDARD',
          definition: JSON.stringify(this.options.workflow.definition),
          roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`,
          creationDate: 0,
        };
      default:
        throw new SfnError('UnknownOperationException', `${operation} is not supported by the local Step Functions`);
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    try {
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      const out = this.handle(operation, body);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(out));
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': e.name });
      res.end(JSON.stringify({ __type: e.name, message: e.message }));
    }
  }
}

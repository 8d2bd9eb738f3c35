import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { executionArnOf } from '../lambdas/shared/arns';
import { completeTask, startExecution, type ExecutionEvent, type ExecutionResult, type PutEventsHandler, type RunningExecution, type StepHandlers } from './executor';
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
  /** RedriveExecution: how many times, the last one's date and the clientToken it was asked with. */
  redriveCount: number;
  redriveDate?: Date;
  redriveToken?: string;
}

/** API_RedriveExecution: an execution that ended more than 14 days ago cannot be redriven any more. */
const REDRIVABLE_MS = 14 * 86_400_000;
/** API_RedriveExecution: the history must leave room for ExecutionRedriven and at least one more event. */
const MAX_HISTORY_TO_REDRIVE = 24_999;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

/**
 * Why RedriveExecution refuses this execution (DescribeExecution's redriveStatusReason), or
 * undefined when it may be redriven. Reasons as the API reference words them.
 */
function notRedrivable(e: Execution, now: number): string | undefined {
  if (e.status === 'RUNNING' || e.status === 'SUCCEEDED') return `Execution is ${e.status} and cannot be redriven`;
  if (e.events.length >= MAX_HISTORY_TO_REDRIVE) return 'Execution history event limit exceeded';
  if (e.stopDate && now - e.stopDate.getTime() > REDRIVABLE_MS) return 'Execution redrivable period exceeded';
  return undefined;
}

/**
 * Where a redrive continues: the unsuccessful step, the last state entered, with the input it was
 * entered with. The runner records no StateExited after it: the execution failed there, or the stop
 * or the timeout closed the event log while it ran.
 */
function unsuccessfulStep(events: ExecutionEvent[]): { state: string; input: unknown } | undefined {
  const entered = [...events].reverse().find((ev) => ev.type === 'StateEntered');
  return entered?.state === undefined ? undefined : { state: entered.state, input: entered.input };
}

class SfnError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}
function resolvers<T>(): Resolvers<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
interface Hold {
  when: (event: unknown) => boolean;
  entered: Resolvers<unknown>;
  released: Resolvers<undefined>;
  outcome: Resolvers<{ result?: unknown; error?: Error }>;
}
/** A step invocation held by `holdStep`. */
export interface HeldStep {
  /** Resolves with the step's event once it is invoked (and waits). */
  entered: Promise<unknown>;
  /** Lets the handler run; resolves with its result or error. */
  release(): Promise<{ result?: unknown; error?: Error }>;
}

export interface LocalStepFunctionsOptions {
  workflow: SynthesizedWorkflow;
  handlers: StepHandlers;
  /** The compressed clock: real ms for simulated seconds. */
  secondsToMs: (seconds: number) => number;
  /** The local EventBridge the `events:putEvents` states put on. */
  putEvents?: PutEventsHandler;
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

  /**
   * Test hook: the next invocation of `step` whose event `when` accepts waits until `release()`,
   * like a Lambda still running when its execution is stopped (Step Functions does not stop a
   * function it invoked). `entered` resolves with the event; `release()` with how the handler ended.
   */
  holdStep(step: string, when: (event: unknown) => boolean = () => true): HeldStep {
    const hold: Hold = { when, entered: resolvers(), released: resolvers(), outcome: resolvers() };
    this.holds.push({ step, hold });
    return {
      entered: hold.entered.promise,
      release: () => {
        hold.released.resolve(undefined);
        return hold.outcome.promise;
      },
    };
  }
  private readonly holds: Array<{ step: string; hold: Hold }> = [];

  private takeHold(step: string, event: unknown): Hold | undefined {
    const i = this.holds.findIndex((h) => h.step === step && h.hold.when(event));
    return i < 0 ? undefined : this.holds.splice(i, 1)[0]?.hold;
  }

  private crashable(): LocalStepFunctionsOptions['handlers'] {
    const wrapped = { ...this.options.handlers };
    for (const [step, handler] of Object.entries(this.options.handlers)) {
      const run = async (event: never) => {
        const left = this.crashes.get(step) ?? 0;
        if (left <= 0) return handler(event);
        this.crashes.set(step, left - 1);
        if (this.crashAfter.get(step)) await handler(event);
        const crash = new Error(`RequestId: local Error: Runtime exited with error: signal: killed (injected crash of ${step})`);
        crash.name = 'Runtime.ExitError';
        throw crash;
      };
      wrapped[step as keyof typeof wrapped] = async (event: never) => {
        const hold = this.takeHold(step, event);
        if (!hold) return run(event);
        hold.entered.resolve(event);
        await hold.released.promise;
        try {
          const result = await run(event);
          hold.outcome.resolve({ result });
          return result;
        } catch (error) {
          hold.outcome.resolve({ error: error instanceof Error ? error : new Error(String(error)) });
          throw error;
        }
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
    const running = startExecution(this.options.workflow, { input: parsed, name, handlers: this.crashable(), secondsToMs: this.options.secondsToMs, putEvents: this.options.putEvents });
    const execution: Execution = { arn, name, input: raw, status: 'RUNNING', startDate: new Date(), events: running.events, running, done: Promise.resolve(undefined), redriveCount: 0 };
    execution.done = this.settle(execution, running);
    this.executions.set(arn, execution);
    this.emitStatusChange(execution);
    return { executionArn: arn, startDate: execution.startDate.getTime() / 1000 };
  }

  /** The execution's end, once its run (or a redrive's) ends: status, output, the status-change event. */
  private settle(execution: Execution, running: RunningExecution): Promise<ExecutionResult> {
    return running.result.then((result) => {
      // A run a redrive already replaced (stopped, then redriven before its end settled) changes nothing.
      if (execution.running !== running) return result;
      // A redrive appends its events to the history as they come; a first run's history is its own.
      if (execution.redriveCount === 0) execution.events = result.events;
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
  }

  /**
   * RedriveExecution (https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html):
   * a FAILED, ABORTED or TIMED_OUT execution continues from its unsuccessful step with that step's
   * input, under the same ARN; the history keeps what ran before, then `ExecutionRedriven` and the
   * rest. RUNNING or SUCCEEDED (or past the 14 days, or a full history): ExecutionNotRedrivable.
   * A repeated request with the same clientToken is answered as the first (idempotent).
   */
  redrive(input: { executionArn?: string; clientToken?: string }): { redriveDate: number } {
    const arn = String(input.executionArn ?? '');
    if (!EXECUTION_ARN.test(arn)) throw new SfnError('InvalidArn', `Invalid Arn: '${arn}'`);
    const e = this.get(arn);
    if (input.clientToken !== undefined && input.clientToken === e.redriveToken && e.redriveDate) return { redriveDate: e.redriveDate.getTime() / 1000 };
    const refused = notRedrivable(e, Date.now());
    if (refused) throw new SfnError('ExecutionNotRedrivable', `Execution Not Redrivable: ${refused}: '${arn}'`);
    const from = unsuccessfulStep(e.events);
    if (!from) throw new SfnError('ExecutionNotRedrivable', `Execution Not Redrivable: no step ran: '${arn}'`);
    Object.assign(e, { status: 'RUNNING', stopDate: undefined, output: undefined, error: undefined, cause: undefined });
    e.redriveCount += 1;
    e.redriveDate = new Date();
    e.redriveToken = input.clientToken;
    e.events.push({ type: 'ExecutionRedriven', at: Date.now() });
    const running = startExecution(this.options.workflow, {
      input: from.input,
      name: e.name,
      startAt: from.state,
      handlers: this.crashable(),
      secondsToMs: this.options.secondsToMs,
      putEvents: this.options.putEvents,
      // The runner's own ExecutionStarted is not part of a redrive's history (ExecutionRedriven is).
      onEvent: (event) => {
        if (event.type !== 'ExecutionStarted') e.events.push(event);
      },
    });
    e.running = running;
    e.done = this.settle(e, running);
    this.emitStatusChange(e);
    return { redriveDate: e.redriveDate.getTime() / 1000 };
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
        ...this.redriveFields(e),
      },
    });
  }

  private redriveFields(e: Execution) {
    const reason = notRedrivable(e, Date.now());
    return {
      redriveCount: e.redriveCount,
      redriveDate: e.redriveDate ? e.redriveDate.getTime() : null,
      redriveStatus: reason ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
      redriveStatusReason: reason ?? null,
    };
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
      redriveCount: e.redriveCount,
      redriveDate: e.redriveDate ? e.redriveDate.getTime() / 1000 : undefined,
      redriveStatus: notRedrivable(e, Date.now()) ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
      redriveStatusReason: notRedrivable(e, Date.now()),
    };
  }

  private history(e: Execution, reverse: boolean) {
    let redrives = 0;
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
        case 'ExecutionRedriven':
          return { ...base, type: 'ExecutionRedriven', executionRedrivenEventDetails: { redriveCount: redrives += 1 } };
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
      case 'RedriveExecution':
        return this.redrive(body as never);
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
        // API reference (DescribeStateMachine): an unknown ARN is StateMachineDoesNotExist.
        if (body.stateMachineArn !== this.options.workflow.stateMachineArn) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
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

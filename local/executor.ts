import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { STEPS, type FunctionName, type StepName } from '../lib/functions';
import { executionArnOf } from '../lambdas/shared/arns';
import type { SynthesizedWorkflow } from './template';

// aws-local-stepfunctions calls Promise.withResolvers in every Task state; Node 20 lacks it.
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (!P.withResolvers) {
  P.withResolvers = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export type StepHandler = (event: never) => Promise<unknown>;

/**
 * The optimized EventBridge PutEvents integration: the state's effective parameters, the
 * execution's and state machine's ARNs (Step Functions appends them to each entry's Resources);
 * resolves with PutEvents' response. Throws to fail the task.
 */
export type PutEventsHandler = (parameters: { Entries?: unknown[] }, context: { executionArn: string; stateMachineArn: string }) => Promise<unknown>;

/**
 * Task tokens of `.waitForTaskToken` states waiting for SendTaskSuccess/SendTaskFailure
 * (aws-local-stepfunctions has no callback pattern; the local runner provides it).
 */
const waitingTasks = new Map<string, { resolve: (output: unknown) => void; reject: (error: Error) => void }>();

class TaskError extends Error {
  constructor(name: string, cause?: string) {
    super(cause ?? name, { cause: cause ?? '' });
    this.name = name;
  }
}

/** Ends a waiting task as SendTaskSuccess/SendTaskFailure would; false when the token is unknown or already used. */
export function completeTask(token: string, outcome: { output: unknown } | { error: string; cause?: string }): boolean {
  const waiting = waitingTasks.get(token);
  if (!waiting) return false;
  waitingTasks.delete(token);
  if ('output' in outcome) waiting.resolve(outcome.output);
  else waiting.reject(new TaskError(outcome.error, outcome.cause));
  return true;
}
export type StepHandlers = Record<StepName, StepHandler>;

/** A function's handler as deployed: its module under lambdas/, loaded in-process. */
export function loadHandler(name: FunctionName): StepHandler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(`../lambdas/${name}/index`) as { handler: StepHandler }).handler;
}

/** Every workflow step's handler. */
export function loadHandlers(): StepHandlers {
  return Object.fromEntries(STEPS.map((s) => [s, loadHandler(s)])) as StepHandlers;
}

/**
 * Lambda turns a thrown error into `{ errorType, errorMessage, trace }`; Step Functions
 * matches Retry/Catch on errorType and hands the JSON string on as Cause. Same here.
 */
class LambdaFunctionError extends Error {
  constructor(error: unknown) {
    const e = error instanceof Error ? error : new Error(String(error));
    super(e.message, { cause: JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }) });
    this.name = e.name;
  }
}

/** Longer than any local run and within setTimeout's 2^31 ms (a larger delay fires at once). */
const LIBRARY_NEVER_SECONDS = 2_000_000;

/**
 * aws-local-stepfunctions 3.0 resolves a Task's TimeoutSecondsPath against the effective
 * parameters (the Lambda payload), not the state input as Step Functions does, and times it on
 * the real clock. The callback tasks here time themselves on the compressed clock (below), so
 * the library's copy of the definition gets a timeout it never reaches instead.
 */
function forLibrary(definition: Record<string, unknown>): Record<string, unknown> {
  const states = Object.fromEntries(
    Object.entries((definition.States ?? {}) as Record<string, Record<string, unknown>>).map(([name, state]) => {
      if (state.TimeoutSecondsPath === undefined) return [name, state];
      const { TimeoutSecondsPath: _path, ...rest } = state;
      return [name, { ...rest, TimeoutSeconds: LIBRARY_NEVER_SECONDS }];
    }),
  );
  return { ...definition, States: states };
}

/** A reference path (`$.a.b`) into a state input. */
function atPath(input: unknown, path: string): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), input);
}

/**
 * Validating the definition costs ~150 ms: once per workflow (and per state a redrive starts
 * from: the same definition with that StartAt), then every execution reuses the machine.
 */
const machines = new WeakMap<SynthesizedWorkflow, Map<string, StateMachine>>();
function machineFor(workflow: SynthesizedWorkflow, startAt?: string): StateMachine {
  let byStart = machines.get(workflow);
  if (!byStart) machines.set(workflow, (byStart = new Map()));
  const key = startAt ?? '';
  let machine = byStart.get(key);
  if (!machine) {
    const definition = forLibrary(workflow.definition);
    if (startAt !== undefined && !(startAt in (definition.States as Record<string, unknown>))) throw new Error(`no state ${startAt} in the definition`);
    // A redrive's copy is not validated again: the states before StartAt are unreachable in it, and
    // the definition is the one already validated when the execution started.
    const validationOptions = startAt === undefined ? { checkArn: false, checkPaths: true } : { noValidate: true };
    machine = new StateMachine((startAt === undefined ? definition : { ...definition, StartAt: startAt }) as never, { validationOptions } as never);
    byStart.set(key, machine);
  }
  return machine;
}

export interface ExecutionEvent {
  type: string;
  state?: string;
  stateType?: string;
  error?: string;
  cause?: string;
  /** A state's output (StateExited only). */
  output?: unknown;
  /** A state's input (StateEntered only): the state document at that point. */
  input?: unknown;
  at: number;
}

export interface ExecutionResult {
  executionArn: string;
  name: string;
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  output?: unknown;
  error?: string;
  cause?: string;
  events: ExecutionEvent[];
  /** States entered: what Step Functions bills as state transitions. */
  transitions: number;
  startedAt: Date;
  stoppedAt: Date;
}

export interface StartOptions {
  input: unknown;
  name?: string;
  handlers: StepHandlers;
  /** The compressed clock: real milliseconds for a state's simulated seconds (Wait states, task timeouts). Default: 0 ms. */
  secondsToMs?: (seconds: number) => number;
  /** Real milliseconds between retries (default 0). */
  retryMs?: number;
  onEvent?: (event: ExecutionEvent) => void;
  /** Runs the `events:putEvents` task states (default: a task failure, as with no EventBridge to reach). */
  putEvents?: PutEventsHandler;
  /**
   * Run from this state instead of the definition's StartAt, `input` being that state's input: a
   * redrive (API_RedriveExecution). The library then sees `input` as `$$.Execution.Input` and a new
   * `$$.Execution.StartTime`; the definition reads neither past its first state.
   */
  startAt?: string;
}

export interface RunningExecution {
  executionArn: string;
  name: string;
  /** The event history so far, growing while the execution runs. */
  events: ExecutionEvent[];
  abort(): void;
  result: Promise<ExecutionResult>;
}

/** Starts the synthesized definition locally; task states call the step handlers in-process. */
export function startExecution(workflow: SynthesizedWorkflow, options: StartOptions): RunningExecution {
  const name = options.name ?? randomUUID();
  const stateMachineArn = workflow.stateMachineArn;
  const executionArn = executionArnOf(stateMachineArn, name);
  const clock = options.secondsToMs ?? (() => 0);
  const states = (workflow.definition.States ?? {}) as Record<string, { Type: string; Resource?: string; Seconds?: number; TimeoutSeconds?: number; TimeoutSecondsPath?: string }>;
  const invoke = async (step: StepName, payload: unknown) => {
    try {
      return (await options.handlers[step](payload as never)) as never;
    } catch (error) {
      throw new LambdaFunctionError(error);
    }
  };
  const taskHandlers = Object.fromEntries(
    Object.entries(workflow.taskSteps).map(([stateName, step]) => {
      const state = states[stateName]!;
      if (!state.Resource?.endsWith('.waitForTaskToken')) return [stateName, (payload: unknown) => invoke(step, payload)];
      // Callback pattern: invoke the function with the token, then wait for SendTask* or the (compressed) timeout.
      return [
        stateName,
        async (parameters: unknown) => {
          const payload = (parameters as { Payload?: { token?: string; state?: unknown } }).Payload ?? (parameters as { token?: string; state?: unknown });
          const token = payload.token;
          if (!token) throw new Error(`${stateName}: waitForTaskToken payload carries no token`);
          // TimeoutSecondsPath is a path into the state input, which every callback payload here carries as `state`.
          const seconds = state.TimeoutSecondsPath === undefined ? state.TimeoutSeconds : atPath(payload.state, state.TimeoutSecondsPath);
          if (state.TimeoutSecondsPath !== undefined && (!Number.isInteger(seconds) || (seconds as number) < 1)) {
            throw new TaskError('States.Runtime', `${stateName}: TimeoutSecondsPath ${state.TimeoutSecondsPath} is ${JSON.stringify(seconds)}, not a positive integer`);
          }
          const outcome = new Promise<unknown>((resolve, reject) => waitingTasks.set(token, { resolve, reject }));
          // The token may be failed while the handler still runs (it parks the token first): the race below sees it.
          outcome.catch(() => undefined);
          await invoke(step, payload);
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_resolve, reject) => {
            timer = setTimeout(() => {
              waitingTasks.delete(token);
              reject(new TaskError('States.Timeout'));
            }, Math.min(clock((seconds as number | undefined) ?? 99_999_999), 2 ** 31 - 1));
          });
          try {
            return (await Promise.race([outcome, timeout])) as never;
          } finally {
            clearTimeout(timer);
            waitingTasks.delete(token);
          }
        },
      ];
    }),
  );
  for (const stateName of workflow.putEventsStates) {
    taskHandlers[stateName] = async (parameters: unknown) => {
      if (!options.putEvents) throw new TaskError('States.TaskFailed', `${stateName}: no local EventBridge to put events on`);
      return (await options.putEvents(parameters as { Entries?: unknown[] }, { executionArn, stateMachineArn })) as never;
    };
  }
  const waits = Object.fromEntries(workflow.waitStates.map((s) => [s, clock(states[s]?.Seconds ?? 0)]));
  const retries = Object.fromEntries([...Object.keys(workflow.taskSteps), ...workflow.putEventsStates].map((s) => [s, options.retryMs ?? 0]));
  const startedAt = new Date();
  const machine = machineFor(workflow, options.startAt);
  const execution = machine.run(options.input as never, {
    overrides: { taskResourceLocalHandlers: taskHandlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: {
      // A fresh token each time a state reads $$.Task.Token (the callback pattern).
      Task: {
        get Token() {
          return `${name}:${randomUUID()}`;
        },
      },
      Execution: { Id: executionArn, Name: name, StartTime: startedAt.toISOString(), Input: options.input as never, RoleArn: 'arn:aws:iam::111122223333:role/local' },
      // The library keeps no $$.State; the time a state reads it is the time it was entered (parameters are resolved on entry).
      State: {
        get EnteredTime() {
          return new Date().toISOString();
        },
      },
      StateMachine: { Id: stateMachineArn, Name: stateMachineArn.split(':').pop() },
    } as never,
  });

  const events: ExecutionEvent[] = [];
  const collect = (async () => {
    for await (const log of execution.eventLogs) {
      const l = log as { type: string; state?: { name: string; type?: string; input?: unknown; output?: unknown }; Error?: string; Cause?: string };
      const event: ExecutionEvent = {
        type: l.type,
        state: l.state?.name,
        stateType: l.state?.type,
        error: l.Error,
        cause: typeof l.Cause === 'string' ? l.Cause : undefined,
        output: l.state?.output,
        input: l.type === 'StateEntered' ? l.state?.input : undefined,
        at: Date.now(),
      };
      events.push(event);
      options.onEvent?.(event);
    }
  })();

  const result = (async (): Promise<ExecutionResult> => {
    const base = { executionArn, name, events, startedAt };
    const finish = async (r: Omit<ExecutionResult, keyof typeof base | 'transitions' | 'stoppedAt'>): Promise<ExecutionResult> => {
      await collect;
      return { ...base, ...r, transitions: events.filter((e) => e.type === 'StateEntered').length, stoppedAt: new Date() };
    };
    try {
      const output = await execution.result;
      return finish({ status: 'SUCCEEDED', output });
    } catch (error) {
      if (error instanceof ExecutionAbortedError) return finish({ status: 'ABORTED' });
      if (error instanceof ExecutionTimeoutError) return finish({ status: 'TIMED_OUT', error: 'States.Timeout', cause: 'the execution ran past its TimeoutSeconds' });
      if (error instanceof ExecutionError) {
        const cause = error.cause as Error & { cause?: unknown };
        return finish({ status: 'FAILED', error: cause.name, cause: typeof cause.cause === 'string' ? cause.cause : cause.message });
      }
      throw error;
    }
  })();
  return { executionArn, name, events, abort: () => execution.abort(), result };
}

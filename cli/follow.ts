import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type DescribeExecutionOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import type { AwsClients } from './aws';
import { formatSeconds } from './duration';
import { CliError, EXIT, NotFoundError } from './errors';
import type { CurrentState } from './live';

export interface EnteredState {
  name: string;
  /** Step Functions' state type (Task, Choice, Wait, ...). */
  type: string;
  /** Epoch ms. */
  at: number;
}

/** One line of a followed execution: a state entered, or a poll loop that just ended, collapsed. */
export interface StateLine {
  /** The state, or for a loop the Task that checks (its last Task; its first state when it has none). */
  state: string;
  elapsedSeconds: number;
  /** 1 for a state; for a loop, how many times its polling state ran in all. */
  count: number;
  /** The states of the loop, in order (absent for a plain state). */
  loop?: string[];
}

/** Elapsed time of a line: tenths under 10 s, since the local clock runs promotions in seconds. */
export function formatElapsed(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(1)}s` : formatSeconds(seconds);
}

export function renderStateLine(line: StateLine): string {
  const elapsed = `+${formatElapsed(line.elapsedSeconds)}`.padStart(8);
  if (!line.loop) return `${elapsed}  ${line.state}`;
  return `${elapsed}  ${line.state} ×${line.count}  (loop: ${line.loop.join(' → ')})`;
}

/**
 * Turns the states an execution enters into lines, as they happen: each state once, and a
 * poll loop (Wait → Check → Choice → Wait …) as one line `CheckGuardrails ×12` printed
 * when the loop ends. Pure: fed with history events, tested without AWS.
 */
export class StateLog {
  /** States printed since the last loop ended: a state seen again among them starts a loop. */
  private recent: EnteredState[] = [];
  private loop?: { states: EnteredState[]; label: string; count: number; lastAt: number };

  constructor(
    private readonly startedAt: number,
    private readonly window = 6,
  ) {}

  private elapsed(at: number): number {
    return Math.max(0, (at - this.startedAt) / 1000);
  }

  enter(state: EnteredState): StateLine[] {
    const lines: StateLine[] = [];
    if (this.loop) {
      if (this.loop.states.some((s) => s.name === state.name)) {
        if (state.name === this.loop.label) this.loop.count++;
        this.loop.lastAt = state.at;
        return lines;
      }
      lines.push(...this.end());
    }
    const seen = this.recent.map((s) => s.name).lastIndexOf(state.name);
    if (seen >= 0) {
      const states = this.recent.slice(seen);
      // The loop's last Task is its check (Wait → Check → Choice; Choice → Await → Check; RollBack → Choice → Wait).
      const label = ([...states].reverse().find((s) => s.type === 'Task') ?? states[0]!).name;
      this.loop = { states, label, count: state.name === label ? 2 : 1, lastAt: state.at };
      this.recent = [];
      return lines;
    }
    this.recent.push(state);
    if (this.recent.length > this.window) this.recent.shift();
    lines.push({ state: state.name, elapsedSeconds: this.elapsed(state.at), count: 1 });
    return lines;
  }

  /** The loop still open, if any: call when the execution ends (or a new state leaves the loop). */
  end(): StateLine[] {
    const loop = this.loop;
    if (!loop) return [];
    this.loop = undefined;
    return [{ state: loop.label, elapsedSeconds: this.elapsed(loop.lastAt), count: loop.count, loop: loop.states.map((s) => s.name) }];
  }
}

export interface ExecutionOutcome {
  executionArn: string;
  name?: string;
  status: string;
  /** promoted | rolled_back | failed | interrupted, when the workflow recorded it. */
  outcome?: string;
  error?: string;
  cause?: string;
  reason?: string;
  startDate?: string;
  stopDate?: string;
  durationSeconds?: number;
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What an ended (or running) execution says about its promotion. */
export function executionOutcome(d: DescribeExecutionOutput): ExecutionOutcome {
  const output = parseJson(d.output) as { outcome?: { outcome?: string; reason?: string } } | undefined;
  const outcome =
    output?.outcome?.outcome ??
    (d.error === 'PromotionRolledBack'
      ? 'rolled_back'
      : d.error === 'PromotionInterrupted'
        ? 'interrupted'
        : d.status === 'FAILED' || d.status === 'ABORTED' || d.status === 'TIMED_OUT'
          ? 'failed'
          : undefined);
  return {
    executionArn: d.executionArn ?? '',
    name: d.name,
    status: d.status ?? 'UNKNOWN',
    outcome,
    error: d.error,
    cause: d.cause,
    reason: output?.outcome?.reason ?? d.cause,
    startDate: d.startDate?.toISOString(),
    stopDate: d.stopDate?.toISOString(),
    durationSeconds: d.startDate && d.stopDate ? (d.stopDate.getTime() - d.startDate.getTime()) / 1000 : undefined,
  };
}

export function renderOutcome(o: ExecutionOutcome): string {
  const took = o.durationSeconds === undefined ? '' : ` after ${formatElapsed(o.durationSeconds)}`;
  switch (o.status) {
    case 'SUCCEEDED':
      return `Promoted${took}: ${o.reason ?? 'the workflow succeeded'}`;
    case 'RUNNING':
      return 'Still running';
    case 'ABORTED':
      return `Aborted${took} (StopExecution): ${o.cause ?? 'no cause given'}; the workflow's rollback did not run, so check the endpoint with "bluegreen status"`;
    default: {
      // Someone else changed the endpoint: the promotion stopped and left it as they set it.
      if (o.outcome === 'interrupted') return `Interrupted${took}: someone else changed the endpoint, and their change stands: ${o.cause ?? 'no cause recorded'}`;
      const what = o.outcome === 'rolled_back' ? 'Rolled back' : 'Failed';
      return `${what}${took}: ${o.error ?? o.status}: ${o.cause ?? 'no cause recorded'}`;
    }
  }
}

export async function describeExecution(clients: AwsClients, executionArn: string): Promise<DescribeExecutionOutput> {
  try {
    return await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') {
      throw new NotFoundError(`execution ${executionArn} does not exist; check the ARN or name ("bluegreen history <endpoint>" lists recent promotions)`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Events after `afterId`, oldest first, reading the history newest-first so a long execution is not re-read each poll. */
async function eventsAfter(clients: AwsClients, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const collected: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, nextToken, maxResults: 500 }));
    for (const event of page.events ?? []) {
      if ((event.id ?? 0) <= afterId) return collected.reverse();
      collected.push(event);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return collected.reverse();
}

export interface FollowOptions {
  intervalMs: number;
  onLine: (line: StateLine) => void;
  sleep: (ms: number) => Promise<void>;
  /** Between two polls of a running execution: the state it is in (for the live line). */
  onWait?: (current: CurrentState) => Promise<void>;
  /** Stop following (the execution goes on) when the clock passes this (epoch ms). */
  deadline?: { at: number; now: () => number; label: string };
}

export interface FollowResult extends ExecutionOutcome {
  states: StateLine[];
}

/** Polls an execution until it ends, reporting each state as it is entered. */
export async function followExecution(clients: AwsClients, executionArn: string, options: FollowOptions): Promise<FollowResult> {
  let lastId = 0;
  let log: StateLog | undefined;
  let current: CurrentState | undefined;
  const states: StateLine[] = [];
  const emit = (lines: StateLine[]) => {
    for (const line of lines) {
      states.push(line);
      options.onLine(line);
    }
  };
  for (;;) {
    // Describe first: when it says the execution ended, the history read after it is complete.
    const d = await describeExecution(clients, executionArn);
    log ??= new StateLog(d.startDate?.getTime() ?? Date.now());
    for (const event of await eventsAfter(clients, executionArn, lastId)) {
      lastId = Math.max(lastId, event.id ?? 0);
      const name = event.stateEnteredEventDetails?.name;
      if (event.type?.endsWith('StateEntered') && name) {
        const at = event.timestamp?.getTime() ?? Date.now();
        emit(log.enter({ name, type: event.type.slice(0, -'StateEntered'.length), at }));
        current = { name, enteredAt: at, input: parseJson(event.stateEnteredEventDetails?.input) };
      }
    }
    if (d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') {
      emit(log.end());
      return { ...executionOutcome(d), states };
    }
    if (options.deadline && options.deadline.now() >= options.deadline.at) {
      throw new CliError(`${executionArn} is still running after ${options.deadline.label} (--timeout); it goes on. Follow it again: bluegreen watch ${executionArn}`, EXIT.unexpected);
    }
    if (current && options.onWait) await options.onWait(current);
    await options.sleep(options.intervalMs);
  }
}

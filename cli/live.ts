import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { describeAlarmsByName } from '../lambdas/shared/alarms';
import { bakeTrafficMetric, type MetricRef } from '../lambdas/shared/green-metrics';
import type { EndpointKind } from '../lambdas/shared/kinds';
import type { StrategyName } from '../lambdas/shared/strategy-names';
import type { AwsClients } from './aws';

/** The state an execution is in now: the last state it entered, with that state's input. */
export interface CurrentState {
  name: string;
  /** Epoch ms. */
  enteredAt: number;
  /** The state's input (GetExecutionHistory's StateEntered input, parsed), when there is one. */
  input?: unknown;
}

/** What the live line of a wait says; a fact left out is unknown (not read, or the read failed). */
export interface WaitFacts {
  state: string;
  inStateSeconds: number;
  /** The bake, counted as the operator gave it (guardrails: SageMaker's termination wait included). */
  bake?: { elapsedSeconds: number; totalSeconds: number };
  alarms?: { total: number; inAlarm: string[] };
  greenPerMinute?: number;
  endpointStatus?: string;
}

/** `45s`, `6m`, `1h05m`: a live line's durations, to the minute once past one. */
export function shortDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `Bake 6m/30m, alarms OK, green 412 req/min`; `WaitForTrafficOnGreen 2m, endpoint Updating`; `Finalize 3s`. Pure. */
export function liveLine(f: WaitFacts): string {
  const parts = [f.bake ? `${f.state} ${shortDuration(f.bake.elapsedSeconds)}/${shortDuration(f.bake.totalSeconds)}` : `${f.state} ${shortDuration(f.inStateSeconds)}`];
  if (f.alarms) parts.push(f.alarms.total === 0 ? 'no alarms' : f.alarms.inAlarm.length === 0 ? 'alarms OK' : `ALARM: ${f.alarms.inAlarm.join(', ')}`);
  if (f.greenPerMinute !== undefined) parts.push(`green ${Math.round(f.greenPerMinute)} req/min`);
  if (f.endpointStatus) parts.push(`endpoint ${f.endpointStatus}`);
  return parts.join(', ');
}

/** The fields of a state's input (lambdas/shared/contracts.ts PromotionState) the live line reads. */
interface StateInput {
  promotion?: { endpointName?: string; strategy?: string; kind?: string; variantName?: string; inferenceComponentName?: string; bakeSeconds?: number; names?: { variant?: string } };
  blue?: { variants?: Array<{ variantName?: string }> };
  bake?: { alarmNames?: string[]; seconds?: number; elapsedSeconds?: number; terminationWaitSeconds?: number };
}

/** The variant green's traffic is counted on: its own (variant), or the target's name, which green keeps (guardrails, replace). */
function greenVariantOf(s: StateInput): string | undefined {
  return s.promotion?.strategy === 'variant' ? s.promotion.names?.variant : (s.promotion?.variantName ?? s.blue?.variants?.[0]?.variantName);
}

/**
 * The metric that counts green's requests: the traffic guard's (bakeTrafficMetric) on the whole variant:
 * Invocations, InvocationsProcessed on an asynchronous endpoint, the component's on a component endpoint.
 */
function greenRequestsMetric(s: StateInput, endpointName: string, variantName: string): MetricRef {
  const p = s.promotion;
  // A component promotion whose input names no component yet is counted on its variant.
  const kind = p?.kind === 'inference-component' && !p.inferenceComponentName ? undefined : (p?.kind as EndpointKind | undefined);
  const strategy = (p?.strategy ?? 'variant') as StrategyName;
  return bakeTrafficMetric({ kind, strategy, endpointName, green: { greenConfigName: '', variantName }, inferenceComponentName: p?.inferenceComponentName }, 'variant');
}

/** The bake's progress from the Bake state's input: what earlier Bake waits counted, plus the time in this one. Pure. */
export function bakeProgress(s: StateInput, inStateSeconds: number): WaitFacts['bake'] {
  const bake = s.bake;
  if (bake?.seconds === undefined) return undefined;
  const before = (bake.terminationWaitSeconds ?? 0) + (bake.elapsedSeconds ?? 0);
  const total = s.promotion?.bakeSeconds ?? before + bake.seconds;
  return { elapsedSeconds: Math.min(total, before + inStateSeconds), totalSeconds: total };
}

const GREEN_WINDOW_MINUTES = 5;

/**
 * Reads what a wait's live line shows, a few cheap calls: the Bake's alarms (DescribeAlarms) and
 * green's invocations over the last minutes (GetMetricData); an InService wait's endpoint status
 * (DescribeEndpoint). A read that fails leaves its fact out: the line never stops the watch.
 */
export async function waitFacts(clients: AwsClients, current: CurrentState, now: Date): Promise<WaitFacts> {
  const inStateSeconds = Math.max(0, (now.getTime() - current.enteredAt) / 1000);
  const facts: WaitFacts = { state: current.name, inStateSeconds };
  const input = (current.input ?? {}) as StateInput;
  const endpointName = input.promotion?.endpointName;
  if (current.name === 'Bake') {
    facts.bake = bakeProgress(input, inStateSeconds);
    const alarmNames = input.bake?.alarmNames ?? [];
    const variant = greenVariantOf(input);
    await Promise.all([
      attempt(async () => {
        const alarms = await describeAlarmsByName(clients.cloudwatch, alarmNames);
        facts.alarms = { total: alarmNames.length, inAlarm: alarms.filter((a) => a.StateValue === 'ALARM').map((a) => a.AlarmName ?? '?') };
      }),
      endpointName && variant
        ? attempt(async () => {
            facts.greenPerMinute = (await invocationsSum(clients, greenRequestsMetric(input, endpointName, variant), now)) / GREEN_WINDOW_MINUTES;
          })
        : Promise.resolve(),
    ]);
  } else if (current.name.startsWith('WaitFor') && endpointName) {
    await attempt(async () => {
      facts.endpointStatus = (await clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }))).EndpointStatus;
    });
  }
  return facts;
}

async function invocationsSum(clients: AwsClients, metric: MetricRef, now: Date): Promise<number> {
  const out = await clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - GREEN_WINDOW_MINUTES * 60_000),
      EndTime: now,
      MetricDataQueries: [
        {
          Id: 'green',
          MetricStat: {
            Metric: metric,
            Period: GREEN_WINDOW_MINUTES * 60,
            Stat: 'Sum',
          },
        },
      ],
    }),
  );
  return (out.MetricDataResults?.[0]?.Values ?? []).reduce((sum, x) => sum + x, 0);
}

/** A live-line read: its failure (permissions, throttling) only leaves the fact out. */
async function attempt(read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch {
    // the fact stays unknown; the watch goes on
  }
}

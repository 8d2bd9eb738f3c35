/**
 * Amazon CloudWatch: metric alarms on the AWS/SageMaker invocation metrics, and
 * GetMetricData / GetMetricStatistics over the emulator's recorded invocations.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/Welcome.html
 *
 * Errors use CloudWatch's awsQuery-compatible codes (ValidationError,
 * ResourceNotFound, InvalidParameterValue, ...); the server sends them as
 * `x-amzn-query-error: <Code>;Sender`, which the SDK turns into the error name.
 *
 * Time: with `timeScale` k, simulated time runs k times faster and history is
 * anchored at "now": a simulated instant S maps to real time now - (now - S)/k.
 * Windows computed relative to now (the usual "last N minutes") therefore cover
 * N/k real minutes, and alarm periods span Period/k real seconds.
 *
 * Alarm evaluation follows "Evaluating an alarm" and "Configuring how CloudWatch
 * alarms treat missing data"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html):
 * the last EvaluationPeriods periods, DatapointsToAlarm (default EvaluationPeriods)
 * breaching → ALARM; TreatMissingData missing (default: all missing → INSUFFICIENT_DATA),
 * ignore (keep state), breaching, notBreaching. Every state change emits the
 * "CloudWatch Alarm State Change" EventBridge event
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
 */
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { ServiceError } from './errors';
import { emitBridgeEvent } from './events';
import type { AlarmStateValue } from './faults';
import { type Dimension, isKnownStat, metricUnit, type MetricsStore, SAGEMAKER_NAMESPACE, statistic } from './metrics';
import { clone, compact, epochSeconds, paginate, queryKey, toMs } from './util';

type Obj = Record<string, unknown>;

/** CloudWatch query error code → HTTP status and the SDK's error shape name. */
const CW_ERRORS: Record<string, { status: number; shape?: string }> = {
  ValidationError: { status: 400, shape: 'ValidationException' },
  ResourceNotFound: { status: 404, shape: 'ResourceNotFound' },
  InvalidParameterValue: { status: 400, shape: 'InvalidParameterValueException' },
  InvalidParameterCombination: { status: 400, shape: 'InvalidParameterCombinationException' },
  MissingParameter: { status: 400, shape: 'MissingRequiredParameterException' },
  LimitExceeded: { status: 400, shape: 'LimitExceededFault' },
  InvalidNextToken: { status: 400, shape: 'InvalidNextToken' },
  InvalidFormat: { status: 400, shape: 'InvalidFormatFault' },
  InternalServiceError: { status: 500, shape: 'InternalServiceFault' },
  Throttling: { status: 400 },
  InternalFailure: { status: 500 },
  ServiceUnavailable: { status: 503 },
};

/** The awsQuery error code CloudWatch uses for an error name given to a fault or thrown here. */
export function cloudWatchCode(errorName: string): string {
  if (errorName === 'ThrottlingException') return 'Throttling';
  if (errorName === 'ValidationException') return 'ValidationError';
  const byShape = Object.entries(CW_ERRORS).find(([, v]) => v.shape === errorName);
  return byShape ? byShape[0] : errorName;
}
export function cloudWatchErrorInfo(code: string): { status: number; type: string } {
  const e = CW_ERRORS[code];
  return { status: e?.status ?? 400, type: e?.shape ?? code };
}

export const cwError = (code: string, message: string): ServiceError =>
  new ServiceError(code, message, CW_ERRORS[code]?.status ?? 400);

const COMPARATORS: Record<string, { test: (v: number, t: number) => boolean; phrase: string }> = {
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, phrase: 'greater than or equal to' },
  GreaterThanThreshold: { test: (v, t) => v > t, phrase: 'greater than' },
  LessThanThreshold: { test: (v, t) => v < t, phrase: 'less than' },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, phrase: 'less than or equal to' },
};

/** Java's Double.toString for ordinary values: 3 → "3.0". */
const jnum = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : String(v));
const pad = (n: number): string => String(n).padStart(2, '0');
/** dd/MM/yy HH:mm:ss (UTC), as in CloudWatch state reasons. */
function reasonDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
/** 2019-10-02T17:04:40.989+0000, as in alarm events and reason data. */
const cwTimestamp = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');

interface AlarmState {
  value: AlarmStateValue;
  reason: string;
  reasonData?: string;
  updated: number;
  transitioned: number;
}
interface AlarmRec {
  name: string;
  arn: string;
  config: Obj;
  tags: Obj[];
  state: AlarmState;
  configUpdated: number;
  metricId: string;
  /** The last evaluation tick (see evaluate). */
  lastTick?: number;
}
interface MetricSpec {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  period: number;
  stat: string;
}

export interface CloudWatchOptions {
  accountId: string;
  region: string;
  timeScale: number;
  events: EventEmitter;
  metrics: MetricsStore;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

export class CloudWatchService {
  readonly alarms = new Map<string, AlarmRec>();

  constructor(private readonly o: CloudWatchOptions) {}

  /** Real time of a simulated instant (history anchored at now). */
  private toReal(simMs: number, now: number): number {
    return now - (now - simMs) / this.o.timeScale;
  }
  /** Simulated instant of a real time. */
  private toSim(realMs: number, now: number): number {
    return now - (now - realMs) * this.o.timeScale;
  }

  handle(operation: string, input: Obj): Obj {
    switch (operation) {
      case 'PutMetricAlarm': return this.putMetricAlarm(input);
      case 'DescribeAlarms': return this.describeAlarms(input);
      case 'DeleteAlarms': return this.deleteAlarms(input);
      case 'SetAlarmState': return this.setAlarmStateOp(input);
      case 'GetMetricData': return this.getMetricData(input);
      case 'GetMetricStatistics': return this.getMetricStatistics(input);
      default:
        throw cwError('InvalidAction', `Operation ${operation} is not supported by the local emulator.`);
    }
  }

  // ---- alarms --------------------------------------------------------------------------

  private putMetricAlarm(input: Obj): Obj {
    const name = input.AlarmName as string;
    const hasMetrics = Array.isArray(input.Metrics);
    const promQl = input.EvaluationCriteria !== undefined;
    if (hasMetrics) {
      for (const k of ['MetricName', 'Namespace', 'Statistic', 'ExtendedStatistic', 'Dimensions', 'Period'] as const) {
        if (input[k] !== undefined) throw cwError('ValidationError', `${k} should not be set if list of Metrics is set.`);
      }
    } else if (!promQl) {
      for (const k of ['MetricName', 'Namespace', 'Period'] as const) {
        if (input[k] === undefined) throw cwError('ValidationError', `${k} must not be null`);
      }
      if ((input.Statistic === undefined) === (input.ExtendedStatistic === undefined)) {
        throw cwError('ValidationError', 'Exactly one of Statistic or ExtendedStatistic must be specified.');
      }
      if (input.ExtendedStatistic !== undefined && !isKnownStat(input.ExtendedStatistic as string)) {
        throw cwError('ValidationError', `The value ${String(input.ExtendedStatistic)} for parameter ExtendedStatistic is not supported.`);
      }
      const period = input.Period as number;
      if (![10, 20, 30].includes(period) && period % 60 !== 0) {
        throw cwError('ValidationError', 'Period must be 10, 20, 30 or a multiple of 60.');
      }
    }
    if (!promQl) {
      for (const k of ['EvaluationPeriods', 'ComparisonOperator'] as const) {
        if (input[k] === undefined) throw cwError('ValidationError', `${k} must not be null`);
      }
      if (input.Threshold === undefined && input.ThresholdMetricId === undefined) {
        throw cwError('ValidationError', 'Threshold must not be null');
      }
      const dta = num(input.DatapointsToAlarm);
      if (dta !== undefined && dta > (input.EvaluationPeriods as number)) {
        throw cwError('ValidationError', 'DatapointsToAlarm must be less than or equal to EvaluationPeriods.');
      }
    }
    const { Tags, ...config } = input;
    const now = Date.now();
    const existing = this.alarms.get(name);
    if (existing) {
      // "When you update an existing alarm, its state is left unchanged, but the update completely overwrites the previous configuration."
      existing.config = clone(config);
      existing.configUpdated = now;
    } else {
      this.alarms.set(name, {
        name,
        arn: `arn:aws:cloudwatch:${this.o.region}:${this.o.accountId}:alarm:${name}`,
        config: clone(config),
        tags: clone(arr(Tags)),
        state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', updated: now, transitioned: now },
        configUpdated: now,
        metricId: randomUUID(),
      });
    }
    return {};
  }

  private alarmView(a: AlarmRec): Obj {
    const c = a.config;
    return compact({
      AlarmName: a.name,
      AlarmArn: a.arn,
      AlarmDescription: c.AlarmDescription,
      AlarmConfigurationUpdatedTimestamp: epochSeconds(a.configUpdated),
      ActionsEnabled: (c.ActionsEnabled as boolean | undefined) ?? true,
      OKActions: clone(c.OKActions ?? []),
      AlarmActions: clone(c.AlarmActions ?? []),
      InsufficientDataActions: clone(c.InsufficientDataActions ?? []),
      StateValue: a.state.value,
      StateReason: a.state.reason,
      StateReasonData: a.state.reasonData,
      StateUpdatedTimestamp: epochSeconds(a.state.updated),
      MetricName: c.MetricName,
      Namespace: c.Namespace,
      Statistic: c.Statistic,
      ExtendedStatistic: c.ExtendedStatistic,
      Dimensions: c.Metrics ? undefined : clone(c.Dimensions ?? []),
      Period: c.Period,
      Unit: c.Unit,
      EvaluationPeriods: c.EvaluationPeriods,
      DatapointsToAlarm: c.DatapointsToAlarm,
      Threshold: c.Threshold,
      ComparisonOperator: c.ComparisonOperator,
      TreatMissingData: c.TreatMissingData,
      EvaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile,
      Metrics: c.Metrics ? clone(c.Metrics) : undefined,
      ThresholdMetricId: c.ThresholdMetricId,
      EvaluationCriteria: c.EvaluationCriteria ? clone(c.EvaluationCriteria) : undefined,
      EvaluationInterval: c.EvaluationInterval,
      StateTransitionedTimestamp: epochSeconds(a.state.transitioned),
    });
  }

  private describeAlarms(input: Obj): Obj {
    const names = input.AlarmNames as string[] | undefined;
    const prefix = str(input.AlarmNamePrefix);
    if (names !== undefined && prefix !== undefined) {
      throw cwError('InvalidParameterCombination', 'AlarmNames and AlarmNamePrefix cannot be specified together.');
    }
    const types = input.AlarmTypes as string[] | undefined;
    const wantMetric = types === undefined || types.includes('MetricAlarm');
    let items = [...this.alarms.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (names !== undefined) items = items.filter((a) => names.includes(a.name));
    if (prefix !== undefined) items = items.filter((a) => a.name.startsWith(prefix));
    const state = str(input.StateValue);
    if (state !== undefined) items = items.filter((a) => a.state.value === state);
    const actionPrefix = str(input.ActionPrefix);
    if (actionPrefix !== undefined) {
      items = items.filter((a) =>
        ['OKActions', 'AlarmActions', 'InsufficientDataActions'].some((k) => ((a.config[k] as string[] | undefined) ?? []).some((x) => x.startsWith(actionPrefix))),
      );
    }
    if (!wantMetric) items = [];
    const { page, nextToken } = paginate(items, num(input.MaxRecords) ?? 50, input.NextToken, queryKey(input), () =>
      cwError('InvalidNextToken', 'The service returned an invalid NextToken.'),
    );
    return compact({ CompositeAlarms: [], MetricAlarms: page.map((a) => this.alarmView(a)), NextToken: nextToken });
  }

  private deleteAlarms(input: Obj): Obj {
    // "If you specify any incorrect alarm names, the alarms you specify with correct names are still deleted."
    for (const n of (input.AlarmNames as string[] | undefined) ?? []) this.alarms.delete(n);
    return {};
  }

  private setAlarmStateOp(input: Obj): Obj {
    const a = this.alarms.get(input.AlarmName as string);
    if (!a) throw cwError('ResourceNotFound', `Alarm ${String(input.AlarmName)} not found`);
    const data = str(input.StateReasonData);
    if (data !== undefined) {
      try {
        JSON.parse(data);
      } catch {
        throw cwError('InvalidFormat', 'StateReasonData is not valid JSON.');
      }
    }
    this.setState(a, input.StateValue as AlarmStateValue, input.StateReason as string, data);
    return {};
  }

  /** SetAlarmState for the fault API; throws ResourceNotFound for an unknown alarm. */
  setAlarmState(alarmName: string, state: AlarmStateValue, reason: string): void {
    this.setAlarmStateOp({ AlarmName: alarmName, StateValue: state, StateReason: reason });
  }

  private setState(a: AlarmRec, value: AlarmStateValue, reason: string, reasonData?: string): void {
    const prev = a.state;
    const now = Date.now();
    a.state = { value, reason, reasonData, updated: now, transitioned: value !== prev.value ? now : prev.transitioned };
    if (value === prev.value) return;
    const stateOf = (s: AlarmState): Obj => compact({ value: s.value, reason: s.reason, reasonData: s.reasonData, timestamp: cwTimestamp(s.updated) });
    emitBridgeEvent(this.o.events, {
      detailType: 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: this.o.accountId,
      region: this.o.region,
      resources: [a.arn],
      detail: {
        alarmName: a.name,
        state: stateOf(a.state),
        previousState: stateOf(prev),
        configuration: compact({ description: a.config.AlarmDescription, metrics: this.eventMetrics(a) }),
      },
    });
  }

  private eventMetrics(a: AlarmRec): Obj[] {
    const metricStat = (m: Obj, period: unknown, stat: unknown): Obj => ({
      metric: {
        dimensions: Object.fromEntries(arr(m.Dimensions).map((d) => [d.Name, d.Value])),
        name: m.MetricName,
        namespace: m.Namespace,
      },
      period,
      stat,
    });
    const c = a.config;
    if (Array.isArray(c.Metrics)) {
      return arr(c.Metrics).map((q) => {
        const ms = q.MetricStat as Obj | undefined;
        return compact({
          id: q.Id,
          expression: q.Expression,
          label: q.Label,
          metricStat: ms ? metricStat((ms.Metric as Obj | undefined) ?? {}, ms.Period, ms.Stat) : undefined,
          returnData: (q.ReturnData as boolean | undefined) ?? true,
        });
      });
    }
    return [
      {
        id: a.metricId,
        metricStat: metricStat(c, c.Period, c.Statistic ?? c.ExtendedStatistic),
        returnData: true,
      },
    ];
  }

  private metricSpec(a: AlarmRec): MetricSpec | undefined {
    const c = a.config;
    if (Array.isArray(c.Metrics)) {
      const q = arr(c.Metrics).find((x) => x.ReturnData !== false);
      const ms = q?.MetricStat as Obj | undefined;
      const m = ms?.Metric as Obj | undefined;
      if (!ms || !m) return undefined;
      return {
        namespace: String(m.Namespace),
        metricName: String(m.MetricName),
        dimensions: arr(m.Dimensions) as unknown as Dimension[],
        period: Number(ms.Period),
        stat: String(ms.Stat),
      };
    }
    const stat = str(c.Statistic) ?? str(c.ExtendedStatistic);
    if (stat === undefined || c.MetricName === undefined) return undefined;
    return {
      namespace: String(c.Namespace),
      metricName: String(c.MetricName),
      dimensions: arr(c.Dimensions) as unknown as Dimension[],
      period: Number(c.Period),
      stat,
    };
  }

  /**
   * Evaluates the alarms on the AWS/SageMaker invocation metrics whose evaluation is due. CloudWatch
   * evaluates a standard alarm once a minute and a high-resolution one (Period 10, 20 or 30) once a
   * period, over the last EvaluationPeriods whole periods ("High-resolution alarms", AlarmThatSendsEmail):
   * here at ticks of that length on the simulated clock, each missed tick caught up in order.
   */
  evaluateAll(now: number = Date.now()): void {
    for (const a of [...this.alarms.values()]) this.evaluateDue(a, now);
  }

  private evaluateDue(a: AlarmRec, now: number): void {
    const period = this.metricSpec(a)?.period ?? 60;
    const tickMs = ((period < 60 ? period : 60) * 1000) / this.o.timeScale;
    const tick = Math.floor(now / tickMs);
    const first = a.lastTick === undefined ? tick : Math.max(a.lastTick + 1, tick - 10);
    for (let t = first; t <= tick; t++) this.evaluate(a, t * tickMs, now);
    a.lastTick = tick;
  }

  /** One evaluation at the tick `at` (real ms), over the periods that ended by then, as published by `now`. */
  private evaluate(a: AlarmRec, at: number, now: number): void {
    const spec = this.metricSpec(a);
    const cmp = COMPARATORS[str(a.config.ComparisonOperator) ?? ''];
    const threshold = num(a.config.Threshold);
    const n = num(a.config.EvaluationPeriods);
    if (!spec || !cmp || threshold === undefined || !n || spec.namespace !== SAGEMAKER_NAMESPACE || !(spec.period > 0)) return;
    const m = num(a.config.DatapointsToAlarm) ?? n;
    const periodReal = (spec.period * 1000) / this.o.timeScale;
    const points: Array<{ start: number; value?: number }> = [];
    const view = { now: at, timeScale: this.o.timeScale };
    for (let i = n; i >= 1; i--) {
      const start = at - i * periodReal;
      const samples = this.o.metrics.samples(spec.namespace, spec.metricName, spec.dimensions, start, start + periodReal, view);
      points.push({ start, value: statistic(samples.map((s) => s.value), spec.stat) });
    }
    const treat = str(a.config.TreatMissingData) ?? 'missing';
    const verdict = points.map((p) =>
      p.value === undefined ? (treat === 'breaching' ? 'B' : treat === 'notBreaching' ? 'G' : 'M') : cmp.test(p.value, threshold) ? 'B' : 'G',
    );
    const breaching = verdict.filter((v) => v === 'B').length;
    const allMissing = verdict.every((v) => v === 'M');
    let next: AlarmStateValue;
    if (allMissing) {
      if (treat !== 'missing') return;
      next = 'INSUFFICIENT_DATA';
    } else {
      next = breaching >= m ? 'ALARM' : 'OK';
    }
    if (next === a.state.value) return;
    const recent = points.filter((p) => p.value !== undefined).reverse();
    const reasonData = JSON.stringify({
      version: '1.0',
      queryDate: cwTimestamp(now),
      startDate: cwTimestamp(this.toSim(points[0]?.start ?? now, now)),
      statistic: spec.stat,
      period: spec.period,
      recentDatapoints: recent.map((p) => p.value),
      threshold,
    });
    let reason: string;
    if (next === 'INSUFFICIENT_DATA') {
      reason = `Insufficient Data: ${n} datapoint${n === 1 ? ' was' : 's were'} unknown.`;
    } else {
      const listed = recent.filter((p) => (next === 'ALARM') === cmp.test(p.value as number, threshold));
      const shown = `[${listed.map((p) => `${jnum(p.value as number)} (${reasonDate(this.toSim(p.start, now))})`).join(', ')}]`;
      const rel = `${next === 'OK' ? 'not ' : ''}${cmp.phrase}`;
      const k = next === 'ALARM' ? breaching : verdict.filter((v) => v === 'G').length;
      if (n === 1 && m === 1) {
        reason = `Threshold Crossed: 1 datapoint ${shown} was ${rel} the threshold (${jnum(threshold)}).`;
      } else {
        const from = a.state.value === 'INSUFFICIENT_DATA' ? 'INSUFFICIENT_DATA' : a.state.value;
        reason =
          `Threshold Crossed: ${k} out of the last ${n} datapoints ${shown} ${k === 1 ? 'was' : 'were'} ${rel} the threshold (${jnum(threshold)}) ` +
          `(minimum ${m} datapoint${m === 1 ? '' : 's'} for ${from} -> ${next} transition).`;
      }
    }
    this.setState(a, next, reason, reasonData);
  }

  // ---- metric data ------------------------------------------------------------------------

  /** Period buckets [start, start+period) in simulated ms covering [startSim, endSim). */
  private buckets(startSim: number, endSim: number, periodS: number): number[] {
    const p = periodS * 1000;
    const out: number[] = [];
    for (let s = Math.floor(startSim / p) * p; s < endSim; s += p) out.push(s);
    return out;
  }

  private series(metric: Obj, periodS: number, startSim: number, endSim: number, now: number): Array<{ ts: number; values: number[] }> {
    const p = periodS * 1000;
    const out: Array<{ ts: number; values: number[] }> = [];
    for (const s of this.buckets(startSim, endSim, periodS)) {
      const samples = this.o.metrics.samples(
        String(metric.Namespace),
        String(metric.MetricName),
        arr(metric.Dimensions) as unknown as Dimension[],
        this.toReal(s, now),
        this.toReal(s + p, now),
        { now, timeScale: this.o.timeScale },
      );
      if (samples.length > 0) out.push({ ts: s, values: samples.map((x) => x.value) });
    }
    return out;
  }

  private timeRange(input: Obj): { start: number; end: number } {
    const start = toMs(input.StartTime);
    const end = toMs(input.EndTime);
    if (start === undefined || end === undefined) throw cwError('ValidationError', 'StartTime and EndTime must be timestamps.');
    if (start >= end) throw cwError('InvalidParameterValue', 'The parameter StartTime must be less than the parameter EndTime.');
    return { start, end };
  }

  private checkDatapoints(start: number, end: number, periodS: number): void {
    const count = Math.ceil((end - start) / (periodS * 1000));
    if (count > 1440) {
      throw cwError(
        'InvalidParameterCombination',
        `You have requested up to ${count.toLocaleString('en-US')} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
      );
    }
  }

  private getMetricStatistics(input: Obj): Obj {
    const stats = (input.Statistics as string[] | undefined) ?? [];
    const ext = (input.ExtendedStatistics as string[] | undefined) ?? [];
    if (stats.length === 0 && ext.length === 0) {
      throw cwError('MissingParameter', 'At least one of the parameters Statistics and ExtendedStatistics must be specified.');
    }
    for (const e of ext) {
      if (!isKnownStat(e) || !e.startsWith('p')) throw cwError('InvalidParameterValue', `The value ${e} for parameter ExtendedStatistics is not supported.`);
    }
    const { start, end } = this.timeRange(input);
    const period = input.Period as number;
    this.checkDatapoints(start, end, period);
    const now = Date.now();
    const unit = metricUnit(String(input.MetricName));
    const datapoints = this.series(input, period, start, end, now).map(({ ts, values }) =>
      compact({
        Timestamp: epochSeconds(ts),
        ...Object.fromEntries(stats.map((s) => [s, statistic(values, s)])),
        Unit: unit,
        ExtendedStatistics: ext.length > 0 ? Object.fromEntries(ext.map((e) => [e, statistic(values, e)])) : undefined,
      }),
    );
    return { Label: input.MetricName, Datapoints: datapoints };
  }

  private getMetricData(input: Obj): Obj {
    const { start, end } = this.timeRange(input);
    const now = Date.now();
    const descending = (str(input.ScanBy) ?? 'TimestampDescending') === 'TimestampDescending';
    const messages: Obj[] = [];
    const results: Obj[] = [];
    for (const q of arr(input.MetricDataQueries)) {
      if (q.ReturnData === false) continue;
      const ms = q.MetricStat as Obj | undefined;
      if (!ms) {
        results.push({
          Id: q.Id,
          Label: q.Label ?? q.Id,
          Timestamps: [],
          Values: [],
          StatusCode: 'InternalError',
          Messages: [{ Code: 'Unsupported', Value: 'Metric math expressions are not supported by the local emulator.' }],
        });
        continue;
      }
      const metric = (ms.Metric as Obj | undefined) ?? {};
      const period = Number(ms.Period);
      const stat = String(ms.Stat);
      if (!isKnownStat(stat)) throw cwError('ValidationError', `The value ${stat} for parameter MetricDataQueries.member.MetricStat.Stat is not supported.`);
      let pts = this.series(metric, period, start, end, now).map(({ ts, values }) => ({ ts, v: statistic(values, stat) as number }));
      if (descending) pts = pts.reverse();
      results.push({
        Id: q.Id,
        Label: q.Label ?? metric.MetricName,
        Timestamps: pts.map((p) => epochSeconds(p.ts)),
        Values: pts.map((p) => p.v),
        StatusCode: 'Complete',
      });
    }
    return { MetricDataResults: results, Messages: messages };
  }

  snapshot(): Record<string, Obj> {
    return Object.fromEntries([...this.alarms.values()].map((a) => [a.name, { ...this.alarmView(a), Tags: clone(a.tags) }]));
  }
}

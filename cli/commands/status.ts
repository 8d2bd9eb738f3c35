import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { readScaling, type VariantScaling } from '../../lambdas/shared/scaling';
import { scalingSummary } from '../../lambdas/shared/scaling-decisions';
import type { StackOptions } from '../aws';
import type { Context } from '../context';
import { describeEndpointView, endpointNotFound, type EndpointView } from '../endpoint';
import { activeEnvironment, statusHeadline, type ActiveEnvironment } from '../environment';
import { EXIT } from '../errors';
import { inFlightPromotion, queryHistory, queuedApproval, type HistoryRow, type InFlight } from '../promotions';
import type { QueuedApproval } from '../../lambdas/shared/queue-decisions';
import { table } from '../table';
import { approvalCommands, describeApproval } from '../../lambdas/shared/approval';

export interface StatusOptions extends StackOptions {
  minutes: number;
}

export interface StatusReport {
  endpointName: string;
  active: ActiveEnvironment;
  endpoint: EndpointView;
  promotion?: InFlight;
  /** A Model Registry approval waiting for the promotion in flight to end (the latest approval per endpoint). */
  queued?: QueuedApproval;
  /** With no promotion in flight: the latest one that ended (an interruption names what someone else changed). */
  lastPromotion?: HistoryRow;
  /** Invocations per variant over the last `minutes` (absent when not asked for). */
  invocations?: { minutes: number; byVariant: Record<string, number> };
  /** The serving variant's Application Auto Scaling: absent when nothing serves; `scaling` absent when it is not a scalable target. */
  autoscaling?: { variantName: string; scaling?: VariantScaling; error?: string };
}

/** The serving variant's scalable target; a caller without Application Auto Scaling read access still gets the rest of the status. */
async function autoscalingOf(ctx: Context, endpointName: string, variantName: string): Promise<NonNullable<StatusReport['autoscaling']>> {
  try {
    return { variantName, scaling: await readScaling(endpointName, variantName, ctx.clients.autoscaling) };
  } catch (error) {
    if (error instanceof Error && error.name === 'AccessDeniedException') return { variantName, error: `${error.name}: ${error.message}` };
    throw error;
  }
}

/** Invocations (Sum) per variant over the last N minutes, one datapoint each (InvocationsProcessed on an asynchronous endpoint, which publishes no Invocations: async-inference-monitor). */
async function invocations(ctx: Context, endpoint: EndpointView, minutes: number): Promise<Record<string, number>> {
  if (endpoint.variants.length === 0) return {};
  const end = ctx.now();
  const start = new Date(end.getTime() - minutes * 60_000);
  const out = await ctx.clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: start,
      EndTime: end,
      MetricDataQueries: endpoint.variants.map((v, i) => ({
        Id: `v${i}`,
        Label: v.variantName,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/SageMaker',
            MetricName: endpoint.config?.AsyncInferenceConfig ? 'InvocationsProcessed' : 'Invocations',
            Dimensions: [
              { Name: 'EndpointName', Value: endpoint.endpointName },
              { Name: 'VariantName', Value: v.variantName },
            ],
          },
          Period: minutes * 60,
          Stat: 'Sum',
        },
      })),
    }),
  );
  const byVariant: Record<string, number> = {};
  endpoint.variants.forEach((v, i) => {
    const result = out.MetricDataResults?.find((r) => r.Id === `v${i}`);
    byVariant[v.variantName] = (result?.Values ?? []).reduce((sum, x) => sum + x, 0);
  });
  return byVariant;
}

const ENDED = new Set(['promoted', 'rolled_back', 'failed', 'interrupted']);

/** The latest promotion that ended, among the newest rows (approvals' rows are not promotions). */
async function lastEnded(ctx: Context, tableName: string, endpointName: string): Promise<HistoryRow | undefined> {
  return (await queryHistory(ctx.clients, tableName, endpointName, 5)).find((row) => ENDED.has(row.outcome));
}

/** Everything `status` reports; `rollback` reuses it to say what the endpoint serves. */
export async function gatherStatus(ctx: Context, endpointName: string, options: { minutes?: number }): Promise<StatusReport | undefined> {
  const tableName = await ctx.targets.tableName();
  const [endpoint, promotion, queued] = await Promise.all([
    describeEndpointView(ctx.clients, endpointName),
    inFlightPromotion(ctx.clients, tableName, endpointName),
    queuedApproval(ctx.clients, tableName, endpointName),
  ]);
  if (!endpoint) return undefined;
  const active = activeEnvironment(endpoint.variants, promotion ? { greenVariant: promotion.greenVariant, greenModel: promotion.greenModel } : undefined);
  const report: StatusReport = { endpointName, active, endpoint, promotion, queued };
  if (active.servingVariant) report.autoscaling = await autoscalingOf(ctx, endpointName, active.servingVariant);
  if (!promotion) report.lastPromotion = await lastEnded(ctx, tableName, endpointName);
  if (options.minutes !== undefined) report.invocations = { minutes: options.minutes, byVariant: await invocations(ctx, endpoint, options.minutes) };
  return report;
}

const ANSWERING = new Set(['rolled_back', 'failed']);

/**
 * The promotion whose rollback answered the endpoint's FailureReason, if any. DescribeEndpoint keeps
 * FailureReason once the endpoint is back InService on its old config (API_DescribeEndpoint), so
 * after a rollback it is history, not news: it is answered when the endpoint is InService and a
 * promotion recorded rolled_back or failed at or after the endpoint's last change. Pure.
 */
export function failureAnsweredBy(endpoint: { status: string; failureReason?: string; lastModified?: Date }, last: HistoryRow | undefined): HistoryRow | undefined {
  if (!endpoint.failureReason || endpoint.status !== 'InService' || !last || !ANSWERING.has(last.outcome) || !last.finishedAt || !endpoint.lastModified) return undefined;
  return new Date(last.finishedAt).getTime() >= endpoint.lastModified.getTime() ? last : undefined;
}

function answeredBy(r: StatusReport): HistoryRow | undefined {
  return failureAnsweredBy({ status: r.endpoint.status, failureReason: r.endpoint.failureReason, lastModified: r.endpoint.raw.LastModifiedTime }, r.lastPromotion);
}

export function statusDocument(r: StatusReport) {
  return {
    endpointName: r.endpointName,
    activeEnvironment: r.active.environment,
    modelVersion: r.active.modelVersion,
    servingVariant: r.active.servingVariant ?? null,
    endpointStatus: r.endpoint.status,
    endpointConfigName: r.endpoint.configName ?? null,
    pendingEndpointConfigName: r.endpoint.pendingConfigName ?? null,
    failureReason: r.endpoint.failureReason ?? null,
    /** The promotion whose rollback answered failureReason (it no longer describes the endpoint). */
    failureReasonAnsweredBy: answeredBy(r)?.promotionId ?? null,
    variants: r.endpoint.variants.map((v) => ({
      variantName: v.variantName,
      currentWeight: v.currentWeight,
      desiredWeight: v.desiredWeight ?? null,
      currentInstanceCount: v.currentInstanceCount ?? null,
      desiredInstanceCount: v.desiredInstanceCount ?? null,
      instanceType: v.instanceType ?? null,
      modelName: v.modelName ?? null,
      modelPackageArn: v.modelPackageArn ?? null,
      modelPackageVersion: v.versionTag ?? (v.packageVersion === undefined ? null : String(v.packageVersion)),
      environment: v.environmentTag ?? null,
      invocations: r.invocations?.byVariant[v.variantName] ?? null,
    })),
    invocationsMinutes: r.invocations?.minutes ?? null,
    autoscaling: autoscalingDocument(r.autoscaling),
    promotion: r.promotion
      ? {
          promotionId: r.promotion.promotionId,
          executionArn: r.promotion.executionArn,
          executionStatus: r.promotion.executionStatus,
          modelPackageArn: r.promotion.modelPackageArn,
          modelPackageVersion: r.promotion.modelPackageVersion ?? null,
          greenVariant: r.promotion.greenVariant ?? null,
          greenModel: r.promotion.greenModel ?? null,
          since: r.promotion.since,
          abortRequested: r.promotion.abortRequested ?? null,
          /** The approval gate waiting for an answer: since when, until when, and what happens then. */
          approvalWait: r.promotion.lock.approvalWait ?? null,
        }
      : null,
    lastPromotion: r.lastPromotion
      ? {
          promotionId: r.lastPromotion.promotionId ?? null,
          outcome: r.lastPromotion.outcome,
          reason: r.lastPromotion.reason ?? null,
          approval: r.lastPromotion.approval ?? null,
          finishedAt: r.lastPromotion.finishedAt ?? null,
          interruption: r.lastPromotion.interruption ?? null,
        }
      : null,
    queued: r.queued
      ? {
          executionName: r.queued.executionName,
          modelPackageArn: r.queued.modelPackageArn,
          modelPackageVersion: r.queued.version,
          approvedAt: r.queued.approvedAt,
          queuedAt: r.queued.queuedAt,
          requestedBy: r.queued.requestedBy,
          behind: r.queued.behind,
        }
      : null,
  };
}

/** `12:03 UTC` (the day too when it is not today's, by the status's clock). */
function clockTime(iso: string, now: Date): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const time = `${at.toISOString().slice(11, 16)} UTC`;
  return at.toISOString().slice(0, 10) === now.toISOString().slice(0, 10) ? time : `${at.toISOString().slice(0, 10)} ${time}`;
}

/** The queued approval's line: what starts next, and when. */
export function queuedLine(q: QueuedApproval, inFlight: boolean, now: Date): string {
  const when = inFlight ? 'starts when the running promotion ends' : "no promotion runs: starts within two runs of the bake's backstop";
  return `Queued: version ${q.version} (approved ${clockTime(q.approvedAt, now)}, ${when}) as ${q.executionName}`;
}

function autoscalingDocument(a: StatusReport['autoscaling']) {
  if (a?.error) return { variantName: a.variantName, error: a.error };
  return a?.scaling ? { variantName: a.variantName, ...a.scaling } : null;
}

const dash = (v: number | string | undefined) => (v === undefined ? '-' : String(v));

/** `Last promotion p-1: interrupted at …`: an interruption says what changed, the others their reason. */
export function lastPromotionLine(row: HistoryRow): string {
  const head = `Last promotion ${row.promotionId ?? '-'}: ${row.outcome}${row.finishedAt ? ` at ${row.finishedAt}` : ''}`;
  const i = row.interruption;
  if (row.outcome === 'interrupted' && i) return `${head}: someone else changed the endpoint (seen by ${i.detectedBy} at ${i.detectedAt}): ${i.change}`;
  return `${head}: ${row.reason ?? '-'}${row.approval ? ` (${describeApproval(row.approval)})` : ''}`;
}

export function renderStatus(r: StatusReport, now: Date = new Date()): string[] {
  const e = r.endpoint;
  const lines = [statusHeadline(r.active)];
  lines.push(
    `Endpoint ${e.endpointName}: ${e.status}, config ${e.configName ?? '-'}${e.pendingConfigName ? ` (updating to ${e.pendingConfigName})` : ''}`,
  );
  if (e.failureReason && !answeredBy(r)) lines.push(`  failure reason: ${e.failureReason}`);
  const minutes = r.invocations?.minutes;
  const headers = ['VARIANT', 'WEIGHT', 'DESIRED', 'INSTANCES', 'MODEL', 'VERSION', ...(minutes === undefined ? [] : [`INVOCATIONS (${minutes}m)`])];
  const rows = e.variants.map((v) => [
    `${v.variantName === r.active.servingVariant ? '*' : ' '} ${v.variantName}`,
    String(v.currentWeight),
    dash(v.desiredWeight),
    `${dash(v.currentInstanceCount)}/${dash(v.desiredInstanceCount)}${v.instanceType ? ` ${v.instanceType}` : ''}`,
    dash(v.modelName),
    v.versionTag ?? dash(v.packageVersion),
    ...(minutes === undefined ? [] : [String(r.invocations?.byVariant[v.variantName] ?? 0)]),
  ]);
  lines.push('', ...table(headers, rows).map((l) => `  ${l}`), '  (* serves the traffic; INSTANCES is current/desired)');
  const a = r.autoscaling;
  if (a?.scaling) lines.push(`Autoscaling: ${scalingSummary(a.variantName, a.scaling)}`);
  else if (a?.error) lines.push(`Autoscaling: ${a.variantName} unknown (${a.error})`);
  lines.push('');
  const p = r.promotion;
  if (!p) {
    lines.push('No promotion in flight.');
    if (r.lastPromotion) lines.push(lastPromotionLine(r.lastPromotion));
  } else {
    lines.push(`Promotion in flight: ${p.promotionId} (version ${dash(p.modelPackageVersion)}, green variant ${dash(p.greenVariant)} or model ${dash(p.greenModel)}), since ${p.since}`);
    lines.push(`  execution ${p.executionArn}: ${p.executionStatus}`);
    if (p.abortRequested?.error === 'OutsideChange') lines.push(`  interrupted: someone else changed the endpoint; the promotion stops and leaves it as it is: ${p.abortRequested.reason}`);
    else if (p.abortRequested) lines.push(`  abort requested at ${p.abortRequested.at}: ${p.abortRequested.reason}`);
    const gate = p.lock.approvalWait;
    if (gate && !p.abortRequested) {
      const commands = approvalCommands(r.endpointName);
      lines.push(`  waiting for approval since ${gate.requestedAt}, until ${gate.deadline} (then ${gate.onTimeout}): ${commands.approve}   or   ${commands.reject}`);
    }
    if (p.executionStatus !== 'RUNNING') {
      lines.push('  the execution is not running but still holds the lock; it is released when the workflow records the outcome');
    }
    lines.push(`  follow it: bluegreen watch ${p.executionArn}   abort it: bluegreen rollback ${r.endpointName}`);
  }
  if (r.queued) lines.push(queuedLine(r.queued, p !== undefined, now));
  return lines;
}

export async function status(ctx: Context, endpointName: string, options: StatusOptions): Promise<number> {
  const report = await gatherStatus(ctx, endpointName, { minutes: options.minutes });
  if (!report) throw endpointNotFound(endpointName);
  ctx.out.document(statusDocument(report));
  if (!ctx.out.json) for (const line of renderStatus(report, ctx.now())) ctx.out.line(line);
  return EXIT.ok;
}

import { Metrics } from '@aws-lambda-powertools/metrics';

/** One EMF document as Powertools would print it: what CloudWatch makes metrics of. */
export interface EmfDocument {
  namespace: string;
  /** Each dimension set's names (CloudWatch keeps one metric per name and set). */
  dimensionSets: string[][];
  metricNames: string[];
  /** Every top-level member: metric values, dimension values, properties. */
  members: Record<string, unknown>;
  timestamp: number;
}

interface Serialized {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
  [member: string]: unknown;
}

/**
 * Collects the EMF documents every Metrics instance (the shared one, and Powertools' single-metric
 * ones for ColdStart) would publish, in order. Tests run with POWERTOOLS_METRICS_DISABLED, so nothing
 * is printed; the documents are Powertools' own serialization, not a copy of it. `metricsClass`: the
 * Metrics of an isolated module registry (jest.isolateModulesAsync), for a fresh cold start.
 */
export function captureEmf(metricsClass: typeof Metrics = Metrics): EmfDocument[] {
  const documents: EmfDocument[] = [];
  jest.spyOn(metricsClass.prototype, 'publishStoredMetrics').mockImplementation(function (this: Metrics) {
    if (this.hasStoredMetrics()) {
      const { _aws, ...members } = this.serializeMetrics() as unknown as Serialized;
      for (const d of _aws.CloudWatchMetrics) {
        documents.push({ namespace: d.Namespace, dimensionSets: d.Dimensions, metricNames: d.Metrics.map((m) => m.Name), members, timestamp: _aws.Timestamp });
      }
    }
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  });
  return documents;
}

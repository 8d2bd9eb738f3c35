/**
 * Which inference component a promotion targets, and whether it can be promoted now. Pure: validate-input
 * (through components.ts) and `bluegreen plan` describe the components, these say what they mean, in
 * the same words.
 */
import type { PromotionInput } from './input';

/** The input's component, which must be on the endpoint, or the endpoint's only one; else a problem naming the fix. */
export function chooseComponent(endpointName: string, hosted: string[], named: string | undefined): { name: string } | { problem: string } {
  if (named !== undefined) {
    if (hosted.includes(named)) return { name: named };
    return { problem: `inferenceComponentName: ${endpointName} hosts no inference component ${named} (it hosts ${hosted.join(', ') || 'none'}); name one of them` };
  }
  if (hosted.length === 1) return { name: hosted[0]! };
  return {
    problem:
      hosted.length === 0
        ? `inferenceComponentName: ${endpointName} is an inference component endpoint that hosts no component yet; create the first component yourself (CreateInferenceComponent), then promote onto it`
        : `inferenceComponentName: ${endpointName} hosts ${hosted.length} inference components (${hosted.join(', ')}); name the one to promote in inferenceComponentName`,
  };
}

/**
 * Why the component cannot be promoted now (undefined: it can): not InService, scaled to zero copies,
 * or a rolling batch outside SageMaker's 5–50% of its copies (API_InferenceComponentRollingUpdatePolicy).
 */
export function componentProblem(name: string, status: string | undefined, copies: number, rolling: PromotionInput['rollingUpdate']): string | undefined {
  if (status !== 'InService') return `inferenceComponentName: ${name} is ${status}; a promotion starts only from InService (wait, or fix the component first)`;
  if (copies === 0) {
    return `inferenceComponentName: ${name} runs 0 copies (scaled to zero): a rolling update has no copy to replace and green could not be checked against live traffic; scale it up (UpdateInferenceComponentRuntimeConfig CopyCount ≥ 1, or send it a request) and promote again`;
  }
  const batch = rolling?.maximumBatchCopies;
  if (batch !== undefined && (batch > copies / 2 || batch < copies * 0.05)) {
    const fix = copies < 2 ? 'leave it out: one copy is replaced at once, the workflow watching the alarms' : `use ${Math.max(1, Math.ceil(copies * 0.05))}–${Math.floor(copies / 2)}`;
    return `rollingUpdate.maximumBatchCopies: ${batch} of ${name}'s ${copies} copies is outside SageMaker's 5–50% of the copy count (API_InferenceComponentCapacitySize); ${fix}`;
  }
  return undefined;
}

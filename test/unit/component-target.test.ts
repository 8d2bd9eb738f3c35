import { chooseComponent, componentProblem } from '../../lambdas/shared/component-target';

// Pure: which component a promotion targets and whether it can start now (validate-input and `bluegreen plan` alike).
describe('chooseComponent', () => {
  test('GIVEN a named component on the endpoint THEN it; GIVEN one component and no name THEN that one', () => {
    expect(chooseComponent('llm', ['chat', 'embed'], 'embed')).toEqual({ name: 'embed' });
    expect(chooseComponent('llm', ['chat'], undefined)).toEqual({ name: 'chat' });
  });

  test.each([
    [['chat', 'embed'], 'nope', 'inferenceComponentName: llm hosts no inference component nope (it hosts chat, embed); name one of them'],
    [['chat', 'embed'], undefined, 'inferenceComponentName: llm hosts 2 inference components (chat, embed); name the one to promote in inferenceComponentName'],
    [[], undefined, 'inferenceComponentName: llm is an inference component endpoint that hosts no component yet; create the first component yourself'],
    [[], 'chat', 'inferenceComponentName: llm hosts no inference component chat (it hosts none)'],
  ])('GIVEN %j and %j THEN a problem naming the field and the fix', (hosted, named, problem) => {
    const choice = chooseComponent('llm', hosted, named);
    expect('problem' in choice && choice.problem).toContain(problem);
  });
});

describe('componentProblem', () => {
  test('GIVEN an InService component with copies and a batch within 5–50% THEN none', () => {
    expect(componentProblem('chat', 'InService', 4, { maximumBatchCopies: 2 })).toBeUndefined();
    expect(componentProblem('chat', 'InService', 1, undefined)).toBeUndefined();
  });

  test('GIVEN not InService, or zero copies THEN refused with the fix', () => {
    expect(componentProblem('chat', 'Updating', 4, undefined)).toBe('inferenceComponentName: chat is Updating; a promotion starts only from InService (wait, or fix the component first)');
    expect(componentProblem('chat', 'InService', 0, undefined)).toContain('runs 0 copies (scaled to zero)');
  });

  test('GIVEN a batch outside 5–50% of the copies THEN the range SageMaker takes (API_InferenceComponentRollingUpdatePolicy); one copy has none', () => {
    expect(componentProblem('chat', 'InService', 4, { maximumBatchCopies: 3 })).toBe(
      "rollingUpdate.maximumBatchCopies: 3 of chat's 4 copies is outside SageMaker's 5–50% of the copy count (API_InferenceComponentCapacitySize); use 1–2",
    );
    expect(componentProblem('chat', 'InService', 100, { maximumBatchCopies: 4 })).toContain('use 5–50');
    expect(componentProblem('chat', 'InService', 1, { maximumBatchCopies: 1 })).toContain('leave it out: one copy is replaced at once');
  });
});

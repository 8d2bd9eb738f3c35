import { sameEndpoint, tableKey } from '../../lambdas/shared/contracts';
import { judgeSample, MAX_PROBLEM_CHARS } from '../../lambdas/shared/decisions';
import { executionFitProblems, inputBytes, inputSizeProblem, MAX_INPUT_BYTES, packageLocationProblem, stackLocationOf } from '../../lambdas/shared/limits';
import { promotionInProgressMessage } from '../../lambdas/shared/locks';

const STACK = { account: '111122223333', region: 'us-east-1' };
const pkg = (region = STACK.region, account = STACK.account) => `arn:aws:sagemaker:${region}:${account}:model-package/churn-models/3`;

describe('one key per real endpoint (SageMaker compares endpoint names case-insensitively: API_CreateEndpoint)', () => {
  test('GIVEN two spellings of one name THEN they share the table key, and another name does not', () => {
    expect(tableKey('Churn-Prediction')).toBe('churn-prediction');
    expect(tableKey('churn-prediction')).toBe(tableKey('CHURN-PREDICTION'));
    expect(sameEndpoint('Churn', 'cHURN')).toBe(true);
    expect(sameEndpoint('churn', 'churn-2')).toBe(false);
  });

  test('GIVEN a holder that spelled the name otherwise THEN the refusal names both spellings, the holder, its version, since when and the fix', () => {
    const holder = { promotionId: 'p-0', modelPackageArn: pkg(), acquiredAt: '2026-01-01T00:00:00.000Z', endpointDisplayName: 'churn' };
    expect(promotionInProgressMessage('Churn', holder)).toBe(
      `endpoint Churn (spelled churn by that promotion) is being promoted by p-0 (version 3, model package ${pkg()}, since 2026-01-01T00:00:00.000Z); wait for it to end or abort it with "bluegreen rollback Churn"`,
    );
    expect(promotionInProgressMessage('churn', holder)).toMatch(/^endpoint churn is being promoted by p-0 \(version 3,/);
  });
});

describe('the execution input against Step Functions\' 256 KiB payload quota (step-functions/latest/dg/service-quotas.html)', () => {
  test('GIVEN an input of exactly the cap THEN accepted; one byte more THEN refused naming the limit, the quota and the fix', () => {
    const at = (bytes: number) => ({ body: 'x'.repeat(bytes - inputBytes({ body: '' })) });
    expect(inputBytes(at(MAX_INPUT_BYTES))).toBe(MAX_INPUT_BYTES);
    expect(inputSizeProblem(at(MAX_INPUT_BYTES))).toBeUndefined();
    expect(inputSizeProblem(at(MAX_INPUT_BYTES + 1), '--validation-file')).toBe(
      "the promotion input is 65537 bytes, over the 65536-byte (64 KiB) limit: Step Functions holds an execution's input and every state's data to 256 KiB, and the workflow's state carries the input plus every step's results; move the large --validation-file bodies to S3 (s3Uri) or send fewer samples",
    );
  });

  test('GIVEN multi-byte characters THEN the size counts UTF-8 bytes, as Step Functions does', () => {
    expect(inputBytes({ body: 'é' })).toBe(inputBytes({ body: 'e' }) + 1);
  });

  test('GIVEN a model that answers with a long error THEN the recorded problem is clipped, so the state stays bounded', () => {
    const problem = judgeSample({}, { status: 500, latencyMs: 3, body: '', error: `ModelError: ${'e'.repeat(10_000)}` }, 1000);
    expect(problem).toHaveLength(MAX_PROBLEM_CHARS);
    expect(problem).toMatch(/^status 500, expected 200 \(ModelError: e+…$/);
    expect(judgeSample({}, { status: 500, latencyMs: 3, body: '' }, 1000)).toBe('status 500, expected 200');
  });
});

describe("the model package's account and region against the stack's", () => {
  test('GIVEN a state machine or execution ARN THEN the stack location is its region and account', () => {
    expect(stackLocationOf('arn:aws:states:eu-west-1:444455556666:execution:bluegreen-promotion:p-1')).toEqual({ region: 'eu-west-1', account: '444455556666' });
    expect(stackLocationOf('arn:aws-cn:states:cn-north-1:444455556666:stateMachine:bluegreen-promotion')).toEqual({ region: 'cn-north-1', account: '444455556666' });
    expect(() => stackLocationOf('arn:aws:lambda:us-east-1:444455556666:function:f')).toThrow(/not a Step Functions state machine or execution ARN/);
  });

  test('GIVEN a package of the stack\'s own account and region THEN no problem', () => {
    expect(packageLocationProblem(pkg(), STACK)).toBeUndefined();
  });

  test('GIVEN a package of another region THEN refused naming both regions and the fix', () => {
    expect(packageLocationProblem(pkg('eu-west-1'), STACK)).toMatch(/is a model package of region eu-west-1, and this stack runs in us-east-1: .*register the version in a model package group of us-east-1/);
  });

  test('GIVEN a package of another account THEN refused naming both accounts, the resource policy it would need, and the fix', () => {
    expect(packageLocationProblem(pkg(STACK.region, '444455556666'), STACK)).toMatch(
      /belongs to account 444455556666, not this stack's account 111122223333: .*PutModelPackageGroupPolicy.*register the version in a model package group of account 111122223333/,
    );
  });
});

describe('bake and deadlines against the execution timeout, in the caller\'s words', () => {
  const plan = { strategy: 'variant' as const, traffic: { type: 'ALL_AT_ONCE' as const }, bakeSeconds: 64_800, inServiceSeconds: 7200, pollSeconds: 30, eventDriven: true };

  test('GIVEN a plan that does not fit THEN the same message, prefixed with the input\'s fields or the CLI\'s options', () => {
    const [input] = executionFitProblems(plan, 86_400);
    const [cli] = executionFitProblems(plan, 86_400, { bake: '--bake', deadline: '--in-service-deadline' });
    expect(input).toEqual({ limit: 'time', message: expect.stringMatching(/^bakeSeconds, deadlines\.inServiceSeconds: a bake of 64800 s with 7200 s in-service deadlines needs up to/) });
    expect(cli?.message.replace(/^--bake, --in-service-deadline: /, '')).toBe(input?.message.replace(/^bakeSeconds, deadlines\.inServiceSeconds: /, ''));
  });

  test('GIVEN a plan that fits THEN no problem', () => {
    expect(executionFitProblems({ ...plan, bakeSeconds: 600, inServiceSeconds: 600 }, 86_400)).toEqual([]);
  });
});

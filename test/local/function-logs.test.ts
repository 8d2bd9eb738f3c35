import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logger } from '../../lambdas/shared/powertools';
import { defaultLogFile, errorSummary, routeFunctionLogs } from '../../local/function-logs';

/**
 * The functions' logs in the local AWS go to a file, as on AWS they go to a log group, not to the
 * operator's console. (What reaches the console is checked on the real demo: test/local/demo.test.ts;
 * jest's sandbox does not let a spy on process.stdout see a Console's writes.)
 */
const consoleOf = () => (logger as unknown as { console: unknown }).console;

describe('routeFunctionLogs', () => {
  const level = logger.getLevelName();
  beforeAll(() => logger.setLogLevel('INFO'));
  afterAll(() => logger.setLogLevel(level));

  test('GIVEN a log file WHEN a function logs an error THEN the entry, stack included, is in the file and one line summarises it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'function-logs-')), 'nested', 'demo.log');
    const heard: string[] = [];
    const logs = routeFunctionLogs({ verbose: false, file, onError: (s) => heard.push(s) });
    try {
      const error = Object.assign(new Error('guardrail alarm x-5xx is in ALARM'), { name: 'GuardrailAlarm' });
      logger.info('validate-green done');
      logger.error('wait-for-endpoint failed', { errorName: error.name, error });
    } finally {
      logs.close();
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['INFO', 'validate-green done'],
      ['ERROR', 'wait-for-endpoint failed'],
    ]);
    expect((lines[1]!.error as { stack: string }).stack).toMatch(/^GuardrailAlarm: guardrail alarm x-5xx is in ALARM\n\s+at /);
    expect(heard).toEqual(['wait-for-endpoint failed: GuardrailAlarm: guardrail alarm x-5xx is in ALARM']);
    expect(logs.errors).toEqual(heard);
  });

  test('GIVEN --verbose THEN nothing is routed: no file, the logger keeps its own console (stdout/stderr)', () => {
    const before = consoleOf();
    const file = join(mkdtempSync(join(tmpdir(), 'function-logs-')), 'never-written.log');
    const logs = routeFunctionLogs({ verbose: true, file });
    logger.info('printed');
    logs.close();
    expect(logs.file).toBeUndefined();
    expect(consoleOf()).toBe(before);
    expect(existsSync(file)).toBe(false);
  });

  test('routed, then closed: the logger has its own console back and the file gets nothing more', () => {
    const before = consoleOf();
    const file = join(mkdtempSync(join(tmpdir(), 'function-logs-')), 'a.log');
    const logs = routeFunctionLogs({ verbose: false, file });
    expect(consoleOf()).not.toBe(before);
    logger.info('while routed');
    logs.close();
    logger.info('after close');
    expect(consoleOf()).toBe(before);
    expect(readFileSync(file, 'utf8')).toContain('while routed');
    expect(readFileSync(file, 'utf8')).not.toContain('after close');
  });
});

describe('errorSummary', () => {
  test.each([
    ['an error with its error object', { level: 'ERROR', message: 'rollback failed', error: { name: 'UpdateRollbackFailed', message: 'old instances', stack: 'x\n  at y' } }, 'rollback failed: UpdateRollbackFailed: old instances'],
    ['an error with only its name', { level: 'ERROR', message: 'validate-input failed', errorName: 'InvalidPromotionInput' }, 'validate-input failed: InvalidPromotionInput'],
    ['a critical entry', { level: 'CRITICAL', message: 'lost' }, 'lost'],
  ])('%s → one line', (_what, entry, line) => expect(errorSummary(JSON.stringify(entry))).toBe(line));

  test.each([['INFO', JSON.stringify({ level: 'INFO', message: 'done' })], ['WARN', JSON.stringify({ level: 'WARN', message: 'slow' })], ['not JSON', 'plain text']])(
    '%s → nothing',
    (_what, line) => expect(errorSummary(line)).toBeUndefined(),
  );
});

test('the default log file is a fresh file under the temporary directory, named for the run', () => {
  expect(defaultLogFile('demo', new Date('2026-01-02T03:04:05.678Z'))).toBe(join(tmpdir(), 'sagemaker-bluegreen', 'demo-2026-01-02T03-04-05-678Z.log'));
});

import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { FAULT_DOCS, Faults, type SetAlarmStateFault } from '../../local/emulator/faults';
import { CONTROL_ROUTES } from '../../local/emulator/server';
import { emulatorControlMarkdown } from '../../local/readme';
import { startTestAws, type TestAws } from './helpers';

/** The README's emulator control section (generated from FAULT_DOCS and CONTROL_ROUTES) tells what the emulator does. */
describe('the documented faults and control routes are the emulator’s', () => {
  test('every fault method of Faults is documented once, and nothing else is', () => {
    // The services' side of Faults (consuming faults, reading effects) is not an injection.
    const serviceSide = (name: string) => name === 'constructor' || name.startsWith('take') || ['slowFleetMs', 'whenCleared', 'variantEffect', 'snapshot'].includes(name);
    const methods = Object.getOwnPropertyNames(Faults.prototype).filter((name) => !serviceSide(name));
    expect(FAULT_DOCS.map((f) => f.name).sort()).toEqual(methods.sort());
  });

  const doc = (name: string) => FAULT_DOCS.find((f) => f.name === name)!;
  const held = FAULT_DOCS.filter((f) => f.name !== 'setAlarmState' && f.name !== 'clear');

  test.each(held.map((f) => [f.name, f] as const))('the documented body of %s is accepted by the fault API and holds a fault', (name, f) => {
    const faults = new Faults(() => undefined);
    const empty = JSON.stringify(faults.snapshot());
    (faults[name] as (body: unknown) => void).call(faults, f.body);
    expect(JSON.stringify(faults.snapshot())).not.toBe(empty);
  });

  test('the documented body of setAlarmState reaches CloudWatch SetAlarmState as given', () => {
    const alarmStates: SetAlarmStateFault[] = [];
    new Faults((f) => alarmStates.push(f)).setAlarmState(doc('setAlarmState').body as unknown as SetAlarmStateFault);
    expect(alarmStates).toEqual([doc('setAlarmState').body]);
  });

  test('the documented body of clear removes every fault', () => {
    const faults = new Faults(() => undefined);
    const empty = JSON.stringify(faults.snapshot());
    for (const f of held) (faults[f.name] as (body: unknown) => void).call(faults, f.body);
    (faults.clear as (body: unknown) => void).call(faults, doc('clear').body);
    expect(JSON.stringify(faults.snapshot())).toBe(empty);
  });

  test('a body missing its required argument is refused, so accepting the documented ones means something', () => {
    const faults = new Faults(() => undefined);
    expect(() => faults.variantErrors({} as never)).toThrow('variantErrors: endpointName is required');
    expect(() => faults.throttle({ operation: 'UpdateEndpoint' } as never)).toThrow(/times must be/);
  });

  test('the generated README section lists every route and every fault with its body', () => {
    const markdown = emulatorControlMarkdown();
    for (const r of CONTROL_ROUTES) expect(markdown).toContain(`| \`${r.method} ${r.path}\` |`);
    for (const f of FAULT_DOCS) expect(markdown).toContain(`| \`${f.name}\` | \`${JSON.stringify(f.body)}\``);
  });

  describe('over HTTP', () => {
    let aws: TestAws;
    beforeAll(async () => {
      aws = await startTestAws();
    });
    afterAll(async () => aws.close());

    test('every documented route answers (not the 404 of an unknown control route)', async () => {
      for (const r of CONTROL_ROUTES) {
        const path = r.path.replace('<name>', 'clear');
        const res = await fetch(`${aws.emu.url}${path}`, { method: r.method, body: r.method === 'POST' ? '{}' : undefined });
        expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: 200 });
      }
      expect((await fetch(`${aws.emu.url}/_emulator/nothing`)).status).toBe(404);
    });

    test('every documented fault body, POSTed to /_emulator/faults/<name>, is accepted', async () => {
      // setAlarmState's example names an alarm: CloudWatch's SetAlarmState needs it to exist.
      const alarm = FAULT_DOCS.find((f) => f.name === 'setAlarmState')!.body.alarmName as string;
      await aws.cw.send(
        new PutMetricAlarmCommand({ AlarmName: alarm, Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' }),
      );
      for (const f of FAULT_DOCS) {
        const res = await fetch(`${aws.emu.url}/_emulator/faults/${f.name}`, { method: 'POST', body: JSON.stringify(f.body) });
        expect({ fault: f.name, status: res.status, body: (await res.json()) as unknown }).toEqual({ fault: f.name, status: 200, body: { ok: true } });
      }
    });
  });
});

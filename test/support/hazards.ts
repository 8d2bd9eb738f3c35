import type { Emulator, Hazard } from '../../local/emulator';

const seen = new WeakMap<Emulator, number>();

/**
 * Fails when the local AWS recorded a hazard since the last check: a DeleteEndpointConfig or
 * DeleteModel of something an endpoint was using. SageMaker accepts such a deletion (the API
 * reference only says you must not make it), so nothing else would show it: on AWS the config or
 * model is silently gone, and the endpoint can no longer launch instances from it. A hazard here
 * is a product bug, never something to allow. Each hazard is reported once, by the first check
 * after it (so one scenario's hazard does not fail the next ones).
 */
export function expectNoHazards(emulator: Emulator): void {
  const all = emulator.hazards();
  const fresh: Hazard[] = all.slice(seen.get(emulator) ?? 0);
  seen.set(emulator, all.length);
  expect(fresh).toEqual([]);
}

/**
 * The workflow tests' stand-in for SageMaker (mock-aws.ts) deletes a config even while an endpoint
 * runs it, as SageMaker does (API_DeleteEndpointConfig: you "must not", but it is not refused), and
 * lists each such deletion here. Every test fails on one: on AWS it would go unnoticed.
 */
const hazards: string[] = [];
(globalThis as { __bluegreenMockHazards?: string[] }).__bluegreenMockHazards = hazards;

afterEach(() => {
  const fresh = hazards.splice(0);
  if (fresh.length > 0) throw new Error(`deleted what an endpoint was running (SageMaker would accept it silently): ${fresh.join('; ')}`);
});

/** An error the emulated service returns, by its AWS error name. */
export class ServiceError extends Error {
  constructor(
    readonly errorName: string,
    message: string,
    readonly status: number = defaultStatus(errorName),
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = errorName;
  }
}

/** HTTP status AWS uses for a given error name (400 for client errors unless the model says otherwise). */
export function defaultStatus(errorName: string): number {
  switch (errorName) {
    case 'InternalFailure':
    case 'InternalServerError':
    case 'InternalServiceError':
    case 'InternalServiceFault':
      return 500;
    case 'ServiceUnavailable':
    case 'ServiceUnavailableException':
      return 503;
    case 'ModelNotReadyException':
      return 429;
    case 'ModelError':
      return 424;
    default:
      return 400;
  }
}

export const validation = (message: string): ServiceError => new ServiceError('ValidationException', message);

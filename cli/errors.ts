/** Exit codes of every `bluegreen` command. */
export const EXIT = {
  ok: 0,
  /** Unexpected: a bug, an outage, or an AWS error the CLI has no advice for. */
  unexpected: 1,
  /** Bad arguments or input (the message names the argument and the fix); nothing was started. */
  usage: 2,
  /** The promotion the command waited for ended rolled_back, failed or interrupted. */
  promotionFailed: 3,
  /** The endpoint, execution, stack or table does not exist. */
  notFound: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one message (which names the fix) and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UsageError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.usage, options);
  }
}

export class NotFoundError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.notFound, options);
  }
}

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Turns what the AWS SDK throws into a CliError whose message says what to do. Errors with
 * a context of their own (a missing endpoint, execution or table) are mapped where they
 * are called; this covers what any command can meet.
 */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (!(error instanceof Error)) return new CliError(String(error), EXIT.unexpected);
  const name = error.name;
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(error.message)) {
    return new UsageError(
      `no AWS credentials found: ${error.message}. Configure the usual AWS SDK chain (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, instance role), or for the local AWS run "npm run local-aws" and paste its export lines into this shell`,
      { cause: error },
    );
  }
  // The SDK throws a plain Error for a missing region: its message is all there is.
  if (/region is missing/i.test(error.message)) {
    return new UsageError('no AWS region: set AWS_REGION (or a region in your AWS profile)', { cause: error });
  }
  const code = errorCode(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return new CliError(
      `cannot reach AWS (${code}: ${error.message}); check your network, or if AWS_ENDPOINT_URL_* point at the local AWS, that "npm run local-aws" is still running`,
      EXIT.unexpected,
      { cause: error },
    );
  }
  if (/AccessDenied|UnauthorizedOperation|UnrecognizedClient|InvalidSignature|ExpiredToken/.test(name)) {
    return new CliError(`AWS refused the call (${name}): ${error.message}; use credentials allowed to operate the sagemaker-bluegreen stack`, EXIT.unexpected, {
      cause: error,
    });
  }
  return new CliError(`${name}: ${error.message}`, EXIT.unexpected, { cause: error });
}

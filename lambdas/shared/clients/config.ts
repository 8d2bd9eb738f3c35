/**
 * Shared client settings. Retries are the SDK's standard mode (exponential backoff with
 * full jitter on throttling and 5xx); the state machine retries again by error name on top.
 * Endpoints come from the standard AWS_ENDPOINT_URL_<SERVICE> variables, which is how
 * the local AWS redirects these very clients. One module per service, so each Lambda
 * bundle holds only the clients its step uses.
 */
export const clientConfig = { maxAttempts: 4, retryMode: 'standard' } as const;

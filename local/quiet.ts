// Imported first by the demo and the local AWS server: Powertools reads these when its
// modules load, before any code of the importing module runs. The functions log at INFO: their
// logs go to a file (local/function-logs.ts), or to the console with --verbose.
process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

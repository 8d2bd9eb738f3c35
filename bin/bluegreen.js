#!/usr/bin/env node
/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim, run by node as is */
// The SDK's notice about its future Node requirement is for the project's maintainers, not for each command's operator.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The CLI is TypeScript: tsx compiles it on the fly, so the package needs no build step.
require('tsx/cjs');
require('./bluegreen.ts');

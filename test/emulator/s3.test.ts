import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type Emulator, startEmulator } from '../../local/emulator';
import { errorOf } from './helpers';

let emu: Emulator;
let s3: S3Client;
beforeEach(async () => {
  emu = await startEmulator({ provisioningMs: 40 });
  s3 = new S3Client({ endpoint: emu.url, region: 'us-east-1', maxAttempts: 1 });
});
afterEach(async () => {
  s3.destroy();
  await emu.close();
});

const md5 = (s: string): string => `"${createHash('md5').update(s).digest('hex')}"`;
const status = (e: Record<string, unknown>): number | undefined => (e.$metadata as { httpStatusCode?: number }).httpStatusCode;

describe('local S3 (path-style REST, restXml errors)', () => {
  it('API_PutObject / API_GetObject / API_HeadObject: GIVEN an object put with a Content-Type and metadata THEN get and head return it with ETag = quoted MD5', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'payloads' }));
    const put = await s3.send(new PutObjectCommand({ Bucket: 'payloads', Key: 'in/a b/ü.json', Body: '{"x":1}', ContentType: 'application/json', Metadata: { owner: 'me' } }));
    expect(put.ETag).toBe(md5('{"x":1}'));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'payloads', Key: 'in/a b/ü.json' }));
    expect(await got.Body?.transformToString()).toBe('{"x":1}');
    expect(got.ContentType).toBe('application/json');
    expect(got.ETag).toBe(md5('{"x":1}'));
    expect(got.ContentLength).toBe(7);
    expect(got.Metadata).toEqual({ owner: 'me' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'payloads', Key: 'in/a b/ü.json' }));
    expect(head.ContentLength).toBe(7);
    expect(head.ETag).toBe(md5('{"x":1}'));
    // Path-style: the bucket is the first path segment (the SDK chose it itself: the endpoint is an IP address).
    expect(emu.callLog.filter((c) => c.service === 's3').map((c) => c.operation)).toEqual(['CreateBucket', 'PutObject', 'GetObject', 'HeadObject']);
    expect(emu.inspect().s3).toEqual({ payloads: ['in/a b/ü.json'] });
  });

  it('ErrorResponses: GIVEN a missing key or bucket THEN NoSuchKey / NoSuchBucket (404) with S3’s messages; HEAD → NotFound without a body', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'payloads' }));
    const key = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'payloads', Key: 'nope' })));
    expect(key.name).toBe('NoSuchKey');
    expect(key.message).toBe('The specified key does not exist.');
    expect(status(key)).toBe(404);
    const bucket = await errorOf(s3.send(new PutObjectCommand({ Bucket: 'missing', Key: 'k', Body: 'x' })));
    expect(bucket.name).toBe('NoSuchBucket');
    expect(bucket.message).toBe('The specified bucket does not exist.');
    const head = await errorOf(s3.send(new HeadObjectCommand({ Bucket: 'payloads', Key: 'nope' })));
    expect(head.name).toBe('NotFound');
    expect(status(head)).toBe(404);
    const raw = await fetch(`${emu.url}/payloads/nope`);
    expect(raw.status).toBe(404);
    expect(await raw.text()).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>nope<\/Key><RequestId>/);
  });

  it('API_ListObjectsV2: GIVEN keys under prefixes THEN prefix, delimiter (CommonPrefixes) and MaxKeys pages with a continuation token', async () => {
    emu.s3.createBucket('bkt');
    for (const k of ['out/1.out', 'out/2.out', 'out/3.out', 'fail/1-error.out', 'root.txt']) emu.s3.putObject('bkt', k, k);
    const out = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'out/' }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(['out/1.out', 'out/2.out', 'out/3.out']);
    expect(out.KeyCount).toBe(3);
    expect(out.Contents?.[0]).toMatchObject({ Size: 9, ETag: md5('out/1.out'), StorageClass: 'STANDARD' });
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt', Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['fail/', 'out/']);
    expect(top.Contents?.map((c) => c.Key)).toEqual(['root.txt']);
    const first = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'out/', MaxKeys: 2 }));
    expect(first.IsTruncated).toBe(true);
    const second = await s3.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'out/', MaxKeys: 2, ContinuationToken: first.NextContinuationToken }));
    expect([...(first.Contents ?? []), ...(second.Contents ?? [])].map((c) => c.Key)).toEqual(['out/1.out', 'out/2.out', 'out/3.out']);
    expect(second.IsTruncated).toBe(false);
  });

  it('API_PutObject: GIVEN a streamed body (aws-chunked with a trailing checksum) THEN the stored object is the payload only', async () => {
    emu.s3.createBucket('bkt');
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'streamed', Body: Readable.from([Buffer.from('hello '), Buffer.from('world')]), ContentLength: 11 }));
    expect(emu.s3.getObject('bkt', 'streamed')?.body.toString()).toBe('hello world');
    expect(emu.s3.getObject('bkt', 'streamed')?.etag).toBe(md5('hello world'));
  });

  it('API_DeleteObject / API_DeleteBucket / API_CreateBucket: GIVEN a non-empty bucket THEN BucketNotEmpty; a second CreateBucket in us-east-1 succeeds', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
    emu.s3.putObject('bkt', 'k', 'v');
    expect((await errorOf(s3.send(new DeleteBucketCommand({ Bucket: 'bkt' })))).name).toBe('BucketNotEmpty');
    await s3.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'bkt' }));
    expect(emu.inspect().s3).toEqual({});
  });

  describe('endpoint resolution', () => {
    const saved = process.env.AWS_ENDPOINT_URL_S3;
    afterEach(() => {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
      else process.env.AWS_ENDPOINT_URL_S3 = saved;
    });

    it('GIVEN AWS_ENDPOINT_URL_S3 = emulator.url and a client built as the product builds it (no forcePathStyle) THEN it reaches the local S3 path-style', async () => {
      emu.s3.createBucket('payloads');
      emu.s3.putObject('payloads', 'sample.json', '{"ok":true}', 'application/json');
      process.env.AWS_ENDPOINT_URL_S3 = emu.url;
      const client = new S3Client({ maxAttempts: 4, retryMode: 'standard' });
      try {
        const got = await client.send(new GetObjectCommand({ Bucket: 'payloads', Key: 'sample.json' }));
        expect(await got.Body?.transformToString()).toBe('{"ok":true}');
      } finally {
        client.destroy();
      }
    });

    it('GIVEN a host name endpoint (localhost) THEN forcePathStyle: true is needed and works', async () => {
      emu.s3.createBucket('payloads');
      emu.s3.putObject('payloads', 'k', 'v');
      const client = new S3Client({ endpoint: emu.url.replace('127.0.0.1', 'localhost'), region: 'us-east-1', forcePathStyle: true, maxAttempts: 1 });
      try {
        expect(await (await client.send(new GetObjectCommand({ Bucket: 'payloads', Key: 'k' }))).Body?.transformToString()).toBe('v');
      } finally {
        client.destroy();
      }
    });
  });

  it('GIVEN a throttle fault on GetObject THEN SlowDown (503: a throttling error to the SDK), then the object', async () => {
    emu.s3.createBucket('bkt');
    emu.s3.putObject('bkt', 'k', 'v');
    emu.faults.throttle({ operation: 'GetObject', times: 1 });
    const err = await errorOf(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' })));
    expect(err.name).toBe('SlowDown');
    expect(status(err)).toBe(503);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' }))).Body?.transformToString()).toBe('v');
    expect(emu.callLog.filter((c) => c.operation === 'GetObject').map((c) => c.error)).toEqual(['SlowDown', undefined]);
  });
});

/**
 * A minimal Amazon S3 (REST, path-style), enough for async inference's input and output and for
 * validation payloads read from `s3Uri`:
 * CreateBucket (`PUT /b`), HeadBucket, DeleteBucket, ListBuckets (`GET /`), ListObjectsV2
 * (`GET /b?list-type=2`: prefix, delimiter, max-keys, start-after, continuation-token,
 * encoding-type=url), PutObject (`PUT /b/k`), GetObject, HeadObject, DeleteObject.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 *
 * - Errors are restXml `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>…`
 *   with the codes and statuses of https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html;
 *   HEAD errors carry no body (the SDK then names them `NotFound`).
 * - ETag is the quoted hex MD5 of the body (single-part uploads); Content-Type and `x-amz-meta-*`
 *   are kept (default Content-Type `binary/octet-stream`, as S3 stores when none is sent).
 * - `aws-chunked` bodies (the SDK's streaming uploads with a trailing checksum) are decoded.
 *   Checksums are neither verified nor returned.
 * - Path-style only. The AWS SDK v3 uses path-style by itself when the endpoint is an IP address
 *   (`http://127.0.0.1:PORT`, as `emulator.url` is); with a host name such as `localhost` it needs
 *   `forcePathStyle: true`.
 * - Not served (501 NotImplemented): multipart uploads, CopyObject, ranges, versioning, ACLs and
 *   the other bucket subresources, ListObjects (v1). A bucket named `endpoints` cannot be used:
 *   `/endpoints/…` is SageMaker Runtime's path.
 */
import { createHash } from 'node:crypto';
import { requestId } from './util';

export interface S3Object {
  body: Buffer;
  contentType: string;
  /** Quoted hex MD5, as S3 returns it. */
  etag: string;
  lastModified: number;
  metadata: Record<string, string>;
}

interface Bucket {
  name: string;
  created: number;
  objects: Map<string, S3Object>;
}

/** An S3 error by its code (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export interface S3Response {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The error code, when the response is an error. */
  error?: string;
}

/** What a request was, for the call log. */
export interface S3Call {
  operation: string;
  input: { Bucket?: string; Key?: string; Prefix?: string };
}

const noSuchBucket = (bucket: string): S3Error =>
  new S3Error('NoSuchBucket', 'The specified bucket does not exist.', 404, { BucketName: bucket });
const noSuchKey = (key: string): S3Error => new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
const notImplemented = (what: string): S3Error =>
  new S3Error('NotImplemented', `A header you provided implies functionality that is not implemented (${what} is not served by the local S3).`, 501);

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const LIST_PARAMS = new Set(['list-type', 'prefix', 'delimiter', 'max-keys', 'start-after', 'continuation-token', 'encoding-type', 'fetch-owner', 'x-id']);

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const el = (name: string, value: string | number): string => `<${name}>${xmlEscape(String(value))}</${name}>`;
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** `s3://bucket/key` (or an https S3 URL, path- or virtual-hosted-style) → bucket and key. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (s3) return { bucket: s3[1] as string, key: s3[2] as string };
  const vhost = /^https:\/\/([^/]+)\.s3[.-][^/]*amazonaws\.com\/(.*)$/.exec(uri);
  if (vhost) return { bucket: vhost[1] as string, key: decodeURIComponent(vhost[2] as string) };
  const path = /^https:\/\/s3[.-][^/]*amazonaws\.com\/([^/]+)\/(.*)$/.exec(uri);
  if (path) return { bucket: path[1] as string, key: decodeURIComponent(path[2] as string) };
  return undefined;
}

/** Decodes an `aws-chunked` body: `<hex size>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailers>\r\n\r\n`. */
function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', i);
    if (eol === -1) break;
    const size = parseInt(raw.subarray(i, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

export class S3Service {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly o: { region: string }) {}

  // ---- JS API (tests, and async inference inside the emulator) ----------------------------

  /** Creates the bucket if it does not exist. */
  createBucket(name: string): void {
    if (!BUCKET_NAME.test(name)) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: name });
    if (!this.buckets.has(name)) this.buckets.set(name, { name, created: Date.now(), objects: new Map() });
  }

  putObject(bucket: string, key: string, body: Buffer | string, contentType = 'binary/octet-stream', metadata: Record<string, string> = {}): S3Object {
    const b = this.bucket(bucket);
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const obj: S3Object = {
      body: buf,
      contentType,
      etag: `"${createHash('md5').update(buf).digest('hex')}"`,
      lastModified: Date.now(),
      metadata: { ...metadata },
    };
    b.objects.set(key, obj);
    return obj;
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  getObject(bucket: string, key: string): S3Object | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  /** Keys in a bucket (sorted, as S3 lists them), optionally under a prefix; [] for a missing bucket. */
  listKeys(bucket: string, prefix = ''): string[] {
    const b = this.buckets.get(bucket);
    return b ? [...b.objects.keys()].filter((k) => k.startsWith(prefix)).sort() : [];
  }

  /** Buckets and their keys (no bodies), for `inspect()`. */
  snapshot(): Record<string, string[]> {
    return Object.fromEntries([...this.buckets.keys()].sort().map((name) => [name, this.listKeys(name)]));
  }

  private bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw noSuchBucket(name);
    return b;
  }

  // ---- REST -------------------------------------------------------------------------------------

  /** Which operation a request is (for the call log and throttle faults); `Unknown` if none is served. */
  describe(method: string, rawUrl: string): S3Call {
    const { bucket, key, query } = splitUrl(rawUrl);
    const input = { Bucket: bucket, Key: key, Prefix: query.get('prefix') ?? undefined };
    const op = (() => {
      if (bucket === undefined) return method === 'GET' ? 'ListBuckets' : 'Unknown';
      if (key === undefined) {
        if (method === 'PUT') return 'CreateBucket';
        if (method === 'HEAD') return 'HeadBucket';
        if (method === 'DELETE') return 'DeleteBucket';
        if (method === 'GET') return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
        return 'Unknown';
      }
      return ({ PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' } as Record<string, string>)[method] ?? 'Unknown';
    })();
    for (const k of Object.keys(input) as Array<keyof typeof input>) if (input[k] === undefined) delete input[k];
    return { operation: op, input };
  }

  /** Serves one REST request; S3 errors become restXml error responses. */
  handle(method: string, rawUrl: string, headers: Record<string, string | string[] | undefined>, raw: Buffer): S3Response {
    try {
      return this.route(method, rawUrl, headers, raw);
    } catch (err) {
      if (err instanceof S3Error) return s3ErrorResponse(err, method === 'HEAD');
      throw err;
    }
  }

  private route(method: string, rawUrl: string, headers: Record<string, string | string[] | undefined>, raw: Buffer): S3Response {
    const h = (name: string): string | undefined => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const { bucket, key, query } = splitUrl(rawUrl);
    const extra = [...query.keys()].filter((k) => !LIST_PARAMS.has(k));
    if (extra.length > 0) throw notImplemented(`the ?${extra.join('&')} subresource`);
    if (bucket === undefined) {
      if (method !== 'GET') throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
      return ok(xml('ListAllMyBucketsResult', `<Owner>${el('ID', 'local')}</Owner><Buckets>${[...this.buckets.values()]
        .map((b) => `<Bucket>${el('Name', b.name)}${el('CreationDate', iso(b.created))}</Bucket>`)
        .join('')}</Buckets>`));
    }
    if (key === undefined) {
      switch (method) {
        case 'PUT': {
          if (this.buckets.has(bucket) && this.o.region !== 'us-east-1') {
            // "In the North Virginia Region, Amazon S3 returns 200 OK" for a bucket you already own (API_CreateBucket).
            throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { BucketName: bucket });
          }
          this.createBucket(bucket);
          return { status: 200, headers: { location: `/${bucket}` }, body: Buffer.alloc(0) };
        }
        case 'HEAD':
          this.bucket(bucket);
          return { status: 200, headers: { 'x-amz-bucket-region': this.o.region }, body: Buffer.alloc(0) };
        case 'DELETE':
          if (this.bucket(bucket).objects.size > 0) {
            throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty.', 409, { BucketName: bucket });
          }
          this.buckets.delete(bucket);
          return { status: 204, headers: {}, body: Buffer.alloc(0) };
        case 'GET':
          if (query.get('list-type') !== '2') throw notImplemented('ListObjects (v1); use ListObjectsV2');
          return this.listObjectsV2(this.bucket(bucket), query);
        default:
          throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
      }
    }
    switch (method) {
      case 'PUT': {
        if (h('x-amz-copy-source') !== undefined) throw notImplemented('CopyObject');
        const chunked = (h('content-encoding') ?? '').includes('aws-chunked') || (h('x-amz-content-sha256') ?? '').startsWith('STREAMING-');
        const body = chunked ? decodeAwsChunked(raw) : raw;
        const metadata = Object.fromEntries(
          Object.entries(headers)
            .filter(([k, v]) => k.startsWith('x-amz-meta-') && v !== undefined)
            .map(([k, v]) => [k.slice('x-amz-meta-'.length), Array.isArray(v) ? v.join(',') : (v as string)]),
        );
        const obj = this.putObject(bucket, key, body, h('content-type') ?? 'binary/octet-stream', metadata);
        return { status: 200, headers: { etag: obj.etag }, body: Buffer.alloc(0) };
      }
      case 'GET':
      case 'HEAD': {
        const obj = this.bucket(bucket).objects.get(key);
        if (!obj) throw noSuchKey(key);
        if (h('range') !== undefined) throw notImplemented('Range');
        return {
          status: 200,
          headers: {
            'content-type': obj.contentType,
            'content-length': String(obj.body.length),
            etag: obj.etag,
            'last-modified': new Date(obj.lastModified).toUTCString(),
            'accept-ranges': 'bytes',
            ...Object.fromEntries(Object.entries(obj.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
          },
          body: method === 'GET' ? obj.body : Buffer.alloc(0),
        };
      }
      case 'DELETE':
        this.bucket(bucket).objects.delete(key);
        return { status: 204, headers: {}, body: Buffer.alloc(0) };
      default:
        throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
    }
  }

  private listObjectsV2(b: Bucket, q: URLSearchParams): S3Response {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxKeys = q.has('max-keys') ? Number(q.get('max-keys')) : 1000;
    if (!Number.isInteger(maxKeys) || maxKeys < 0) {
      throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400, { ArgumentName: 'max-keys', ArgumentValue: String(q.get('max-keys')) });
    }
    const token = q.get('continuation-token');
    let after = q.get('start-after') ?? '';
    if (token !== null) {
      after = Buffer.from(token, 'base64url').toString('utf8');
      if (!after.startsWith('k:')) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400, { ArgumentName: 'continuation-token' });
      after = after.slice(2);
    }
    const urlEncode = q.get('encoding-type') === 'url';
    const enc = (s: string): string => (urlEncode ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
    // Entries in key order: objects, or common prefixes (each counted once) when a delimiter groups them.
    const entries: Array<{ key: string; prefix?: string; obj?: S3Object }> = [];
    for (const key of [...b.objects.keys()].filter((k) => k.startsWith(prefix)).sort()) {
      const rest = key.slice(prefix.length);
      const cut = delimiter === '' ? -1 : rest.indexOf(delimiter);
      if (cut !== -1) {
        const cp = prefix + rest.slice(0, cut + delimiter.length);
        if (entries[entries.length - 1]?.prefix !== cp) entries.push({ key: cp, prefix: cp });
      } else {
        entries.push({ key, obj: b.objects.get(key) });
      }
    }
    const pending = entries.filter((e) => e.key > after && !(e.prefix !== undefined && after.startsWith(e.prefix)));
    const page = pending.slice(0, maxKeys);
    const truncated = pending.length > page.length;
    const last = page[page.length - 1];
    const parts = [
      el('Name', b.name),
      el('Prefix', enc(prefix)),
      delimiter ? el('Delimiter', enc(delimiter)) : '',
      el('MaxKeys', maxKeys),
      el('KeyCount', page.length),
      urlEncode ? el('EncodingType', 'url') : '',
      el('IsTruncated', String(truncated)),
      token !== null ? el('ContinuationToken', token) : '',
      truncated && last ? el('NextContinuationToken', Buffer.from(`k:${last.key}`).toString('base64url')) : '',
      q.has('start-after') ? el('StartAfter', enc(q.get('start-after') ?? '')) : '',
      ...page.map((e) =>
        e.obj
          ? `<Contents>${el('Key', enc(e.key))}${el('LastModified', iso(e.obj.lastModified))}${el('ETag', e.obj.etag)}${el('Size', e.obj.body.length)}${el('StorageClass', 'STANDARD')}</Contents>`
          : `<CommonPrefixes>${el('Prefix', enc(e.key))}</CommonPrefixes>`,
      ),
    ];
    return ok(xml('ListBucketResult', parts.join('')));
  }
}

/** Bucket and key from a path-style URL (the raw URL: `..` and `%2F` in keys must survive). */
function splitUrl(rawUrl: string): { bucket?: string; key?: string; query: URLSearchParams } {
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
  const m = /^\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (!m) return { query };
  const key = m[2] === undefined || m[2] === '' ? undefined : decodeURIComponent(m[2]);
  return { bucket: decodeURIComponent(m[1] as string), key, query };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const xml = (root: string, inner: string): Buffer => Buffer.from(`${XML_HEAD}<${root} xmlns="${XMLNS}">${inner}</${root}>`);
const ok = (body: Buffer): S3Response => ({ status: 200, headers: { 'content-type': 'application/xml' }, body });

/** A restXml error response (no body for HEAD, as S3 answers). */
export function s3ErrorResponse(err: S3Error, head: boolean): S3Response {
  const id = requestId();
  const body = head
    ? Buffer.alloc(0)
    : Buffer.from(
        `${XML_HEAD}<Error>${el('Code', err.code)}${el('Message', err.message)}${Object.entries(err.extra)
          .map(([k, v]) => el(k, v))
          .join('')}${el('RequestId', id)}${el('HostId', id)}</Error>`,
      );
  return { status: err.status, headers: { 'content-type': 'application/xml', 'x-amz-request-id': id }, body, error: err.code };
}

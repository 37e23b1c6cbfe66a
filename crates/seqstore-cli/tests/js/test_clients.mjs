// The JavaScript SDK (`@aws-sdk/client-omics`, v3, pinned in package-lock.json) against a running
// seqstore: every operation seqstore implements, with realistic data — a paired FASTQ.gz, a BAM, a
// uBAM and a CRAM with its reference imported; the same pair uploaded in parts; references; tags;
// S3 access policies; deletions — through the SDK's commands, paginators, waiters and streaming
// downloads.
//
// Every response the SDK parses is checked against botocore's model, the one the server follows
// (crates/seqstore/model): each member the model marks `required` must be in the parsed output
// unless the README's "Wire compatibility" table lists it, and each member of the raw JSON body
// must come out of the SDK with the same value (a Date for a timestamp). Errors must map to the
// SDK's exception classes with their status and message. The run fails when an operation of
// TEST_OPERATIONS (the operations the server implements) never answered with success.
//
// Run by crates/seqstore-cli/tests/e2e/js.rs; by hand, after `scripts/js-deps`:
//   TEST_ENDPOINT_URL=http://127.0.0.1:PORT TEST_HELD_ENDPOINT_URL=http://127.0.0.1:PORT2 \
//   TEST_KEY_A_ID=... TEST_KEY_A_SECRET=... TEST_ACCOUNT_A=... TEST_KEY_B_ID=... \
//   TEST_KEY_B_SECRET=... TEST_ACCOUNT_B=... TEST_FILE_ROOT=DIR TEST_DATA_DIR=testdata \
//   TEST_OPERATIONS=CreateSequenceStore,GetSequenceStore,... node test_clients.mjs
// TEST_FILE_ROOT is the server's `--file-root`; the server's part size must be 1 MiB
// (`[storage] part_size = 1048576`) so that the files here have several parts. The held server's
// workers are throttled (`[worker] throttle_bytes_per_sec = 1024`), so an upload stays
// PROCESSING_UPLOAD there. Prints `js-clients: N passed, M failed` last; exits 1 on any failure.

import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";

import * as omics from "@aws-sdk/client-omics";

const {
  OmicsClient,
  OmicsServiceException,
  ConflictException,
  RangeNotSatisfiableException,
  ResourceNotFoundException,
  ValidationException,
  paginateListMultipartReadSetUploads,
  paginateListReadSetActivationJobs,
  paginateListReadSetExportJobs,
  paginateListReadSetImportJobs,
  paginateListReadSetUploadParts,
  paginateListReadSets,
  paginateListReferenceImportJobs,
  paginateListReferenceStores,
  paginateListReferences,
  paginateListSequenceStores,
  waitUntilReadSetActivationJobCompleted,
  waitUntilReadSetExportJobCompleted,
  waitUntilReadSetImportJobCompleted,
  waitUntilReferenceImportJobCompleted,
} = omics;

const HERE = dirname(fileURLToPath(import.meta.url));
const REQUIRED_ENV = [
  "TEST_ENDPOINT_URL",
  "TEST_KEY_A_ID",
  "TEST_KEY_A_SECRET",
  "TEST_ACCOUNT_A",
  "TEST_KEY_B_ID",
  "TEST_KEY_B_SECRET",
  "TEST_ACCOUNT_B",
  "TEST_FILE_ROOT",
  "TEST_DATA_DIR",
  "TEST_OPERATIONS",
];
const missingEnv = REQUIRED_ENV.filter((name) => !process.env[name]);
if (missingEnv.length) {
  console.error(
    `test_clients.mjs: set ${missingEnv.join(", ")} (TEST_ENDPOINT_URL is the URL of a running seqstore, ` +
      "TEST_OPERATIONS the comma-separated operations it implements; see the head of this file)",
  );
  process.exit(2);
}
const ENV = Object.fromEntries(REQUIRED_ENV.map((name) => [name, process.env[name]]));
const HELD_ENDPOINT = process.env.TEST_HELD_ENDPOINT_URL ?? "";
const REGION = process.env.TEST_REGION || "us-east-1";
const MODEL_PATH = process.env.TEST_MODEL || join(HERE, "../../../seqstore/model/omics-2022-11-28.json");
const README_PATH = process.env.TEST_README || join(HERE, "../../../../README.md");
const OPERATIONS = ENV.TEST_OPERATIONS.split(",").filter(Boolean);
const RUN = randomUUID().slice(0, 8);
const ROLE = `arn:aws:iam::${ENV.TEST_ACCOUNT_A}:role/Import`;
const KMS_ARN = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab";
const MISSING_ID = "1234567890";

// Keep the developer's own AWS profile, config and credentials out of the clients.
for (const name of Object.keys(process.env).filter((n) => n.startsWith("AWS_"))) {
  delete process.env[name];
}
Object.assign(process.env, {
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true",
  // The SDK is pinned (package-lock.json); its advice to move to Node.js 22 is for later versions.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
});

// ---------------------------------------------------------------------------------------------
// The model, and what every response is checked against.

const MODEL = JSON.parse(readFileSync(MODEL_PATH, "utf8"));
const SHAPES = MODEL.shapes;

/** The (operation, member) cells of the README table whose header line is `header`. */
function readmeTable(header) {
  const readme = readFileSync(README_PATH, "utf8");
  const start = readme.indexOf(header);
  assert.notEqual(start, -1, `the README's table headed ${header}`);
  const rows = [];
  for (const line of readme.slice(start).split("\n").slice(2)) {
    if (!line.startsWith("|")) break;
    const cells = line.split("|").map((c) => c.trim());
    rows.push([cells[1], cells[2].replace(/^`|`$/g, "")]);
  }
  return rows;
}

/** "Operation: member.path" of each required member the README says may be left out. */
const readmeOmissions = () =>
  new Set(readmeTable("| operation | required member | why it can be missing |").map(([op, m]) => `${op}: ${m}`));

/** One regular expression per README row of members beyond the model; `*` is one path segment. */
const readmeExtras = () =>
  readmeTable("| operation | extra member | what it is |").map(([op, member]) => {
    const escaped = `${op}: ${member}`.replace(/[.[\]{}()+?^$|\\]/g, "\\$&").replace(/\*/g, "[^.]+");
    return new RegExp(`^${escaped}$`);
  });

/** What the checks found over the whole run. */
const findings = {
  succeeded: new Set(), // operations that answered 2xx
  missing: new Map(), // "Operation: member.path" -> an example raw body
  misparsed: [], // values the SDK dropped or changed
  unmodelled: new Set(), // "Operation: member.path" sent by the server, absent from the model
};

const isStreaming = (shapeName) => {
  const shape = SHAPES[shapeName];
  return Boolean(shape?.payload && SHAPES[shape.members[shape.payload].shape]?.streaming);
};

/** Compares the SDK's `parsed` value with the `raw` JSON value against `shapeName`, recursively. */
function check(op, shapeName, parsed, raw, path) {
  const shape = SHAPES[shapeName];
  const where = `${op}: ${path || "(output)"}`;
  const wrong = (what) => findings.misparsed.push(`${where}: ${what} (raw ${JSON.stringify(raw)})`);
  switch (shape.type) {
    case "structure": {
      if (typeof parsed !== "object" || parsed === null) return wrong(`not an object: ${parsed}`);
      for (const [name, member] of Object.entries(shape.members)) {
        if (member.location) continue; // headers, status codes: none in these outputs' bodies
        const key = member.locationName ?? name;
        const sub = path ? `${path}.${name}` : name;
        const rawValue = raw?.[key] ?? undefined;
        if (parsed[name] === undefined) {
          if ((shape.required ?? []).includes(name) && !findings.missing.has(`${op}: ${sub}`)) {
            findings.missing.set(`${op}: ${sub}`, JSON.stringify(raw));
          }
          if (rawValue !== undefined) {
            findings.misparsed.push(`${op}: ${sub}: sent ${JSON.stringify(rawValue)}, the SDK dropped it`);
          }
          continue;
        }
        if (rawValue === undefined) {
          findings.misparsed.push(`${op}: ${sub}: the SDK made ${parsed[name]} out of nothing`);
          continue;
        }
        check(op, member.shape, parsed[name], rawValue, sub);
      }
      for (const key of Object.keys(raw ?? {})) {
        const known = Object.entries(shape.members).some(([n, m]) => (m.locationName ?? n) === key);
        if (!known) findings.unmodelled.add(`${op}: ${path ? `${path}.` : ""}${key}`);
      }
      return;
    }
    case "list":
      if (!Array.isArray(parsed) || parsed.length !== raw.length) return wrong(`list ${JSON.stringify(parsed)}`);
      parsed.forEach((item, i) => check(op, shape.member.shape, item, raw[i], `${path}[]`));
      return;
    case "map": {
      if (typeof parsed !== "object" || parsed === null) return wrong(`not a map: ${parsed}`);
      assert.deepEqual(Object.keys(parsed).sort(), Object.keys(raw).sort(), `${where}: map keys`);
      for (const key of Object.keys(raw)) check(op, shape.value.shape, parsed[key], raw[key], `${path}{}`);
      return;
    }
    case "timestamp":
      if (!(parsed instanceof Date) || Number.isNaN(parsed.getTime())) return wrong(`not a Date: ${parsed}`);
      if (parsed.getTime() !== new Date(raw).getTime()) wrong(`Date ${parsed.toISOString()}`);
      return;
    case "integer":
    case "long":
    case "double":
    case "float":
      if (typeof parsed !== "number" || parsed !== raw) wrong(`number ${parsed}`);
      return;
    case "boolean":
    case "string": {
      // A member with the model's jsonvalue trait (s3AccessPolicy) comes out as a String object
      // (the SDK's LazyJsonString) whose text must be the text sent.
      const value = parsed instanceof String ? String(parsed) : parsed;
      if (value !== raw) wrong(`${shape.type} ${JSON.stringify(parsed)}`);
      return;
    }
    default:
      wrong(`shape type ${shape.type} not expected in a JSON body`);
  }
}

/**
 * Middleware for a client: keeps each raw JSON body (not streamed payloads) on the command's
 * context, then checks what the SDK made of it — the output against the output shape, or the
 * exception's message against the error body.
 */
function instrument(client) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const op = context.commandName.replace(/Command$/, "");
      const output = MODEL.operations[op]?.output?.shape;
      const status = result.response.statusCode;
      if (status >= 300 || !isStreaming(output)) {
        const chunks = [];
        for await (const chunk of result.response.body) chunks.push(chunk);
        const bytes = Buffer.concat(chunks);
        context.seqstoreRaw = bytes.length ? JSON.parse(bytes.toString("utf8")) : {};
        result.response.body = Readable.from([bytes]);
      }
      return result;
    },
    { step: "deserialize", priority: "low", name: "seqstoreRawBody" },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = context.commandName.replace(/Command$/, "");
      let result;
      try {
        result = await next(args);
      } catch (error) {
        const raw = context.seqstoreRaw;
        if (raw?.message !== undefined && error.message !== raw.message) {
          const message = JSON.stringify(error.message);
          findings.misparsed.push(`${op} error ${error.name}: message ${message} from ${JSON.stringify(raw)}`);
        }
        throw error;
      }
      findings.succeeded.add(op);
      const output = MODEL.operations[op]?.output?.shape;
      if (!output) {
        findings.misparsed.push(`${op}: not an operation of the model`);
      } else if (isStreaming(output)) {
        const shape = SHAPES[output];
        if (!result.output[shape.payload]) findings.misparsed.push(`${op}: no streamed ${shape.payload}`);
      } else {
        check(op, output, result.output, context.seqstoreRaw, "");
      }
      if (!/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/.test(result.output.$metadata.requestId ?? "")) {
        findings.misparsed.push(`${op}: $metadata.requestId ${result.output.$metadata.requestId}`);
      }
      return result;
    },
    { step: "initialize", name: "seqstoreCheckOutput" },
  );
  return client;
}

function client(key = "A", { endpoint = ENV.TEST_ENDPOINT_URL, secret } = {}) {
  return instrument(
    new OmicsClient({
      endpoint,
      region: REGION,
      credentials: {
        accessKeyId: ENV[`TEST_KEY_${key}_ID`],
        secretAccessKey: secret ?? ENV[`TEST_KEY_${key}_SECRET`],
      },
      // The SDK prepends control-storage-/storage-/tags- to the endpoint's host otherwise.
      disableHostPrefix: true,
      maxAttempts: 1,
    }),
  );
}

const a = client("A");
const b = client("B");

/** Sends operation `op` (e.g. "GetReadSet") with `input` as `c`. */
const call = (c, op, input = {}) => c.send(new omics[`${op}Command`](input));

/** Asserts that `promise` rejects with SDK exception class `Class` (status `status`); returns it. */
async function rejects(promise, Class, status, mentions) {
  const error = await promise.then(
    (out) => assert.fail(`expected ${Class.name}, got a ${out.$metadata.httpStatusCode} answer`),
    (e) => e,
  );
  assert.ok(error instanceof Class, `expected ${Class.name}, got ${error?.name}: ${error?.message}`);
  assert.ok(error instanceof OmicsServiceException, `${error.name} is an OmicsServiceException`);
  assert.equal(error.$metadata.httpStatusCode, status, `${error.name}: ${error.message}`);
  assert.equal(error.$fault, "client");
  assert.ok(error.message, `${error.name} has a message`);
  if (mentions) assert.ok(error.message.includes(mentions), `"${error.message}" mentions "${mentions}"`);
  return error;
}

/**
 * Every item of every page of `paginate(config, input)` under `key`, and the page sizes. The SDK's
 * paginators write each `nextToken` into the input they are given: they get a copy.
 */
async function paged(paginate, config, input, key) {
  const items = [];
  const sizes = [];
  for await (const page of paginate({ client: a, ...config }, { ...input })) {
    sizes.push(page[key].length);
    items.push(...page[key]);
  }
  return { items, sizes };
}

const unique = (label) => `js-${RUN}-${label}`;
const md5 = (bytes) => createHash("md5").update(bytes).digest("hex");
const waiterConfig = { client: a, minDelay: 1, maxDelay: 1, maxWaitTime: 60 };

async function until(what, poll, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const done = await poll();
    if (done) return done;
    assert.ok(Date.now() < deadline, `${what} did not settle in ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// ---------------------------------------------------------------------------------------------
// Test data: generated FASTQ and the repository's test files, copied under the file root.

/** `count` FASTQ records of `length` random bases (deterministic from `seed`), named `@r{i}/{mate}`. */
function fastq(count, length, mate, seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const records = [];
  for (let i = 0; i < count; i++) {
    let seq = "";
    let qual = "";
    for (let j = 0; j < length; j++) {
      seq += "ACGT"[Math.floor(random() * 4)];
      qual += String.fromCharCode(35 + Math.floor(random() * 40));
    }
    records.push(`@r${i}${mate ? `/${mate}` : ""}\n${seq}\n+\n${qual}\n`);
  }
  return Buffer.from(records.join(""));
}

const DIR = join(ENV.TEST_FILE_ROOT, `js-${RUN}`);
mkdirSync(DIR, { recursive: true });

/** Writes `bytes` under the file root; returns the `file://` URI. */
function put(name, bytes) {
  writeFileSync(join(DIR, name), bytes);
  return `file://${join(DIR, name)}`;
}

const testdata = (path) => readFileSync(join(ENV.TEST_DATA_DIR, path));

// A pair of about 1.5 MB each (gzip): two parts of 1 MiB.
const READS = 9000;
const R1 = gzipSync(fastq(READS, 150, 1, 7));
const R2 = gzipSync(fastq(READS, 150, 2, 7));
const BAM = testdata("hts-specs/bam/level-1.bam");
const BAI_FREE_UBAM = testdata("derived/r1r2.ubam.bam");
const CRAM = testdata("hts-specs/cram3.0/passed/1400_index_simple.cram");
const CE_FA = testdata("hts-specs/ref/ce.fa");
const CE_FAI = testdata("hts-specs/ref/ce.fa.fai");

/** State shared by the tests, in order. */
const s = {};

// ---------------------------------------------------------------------------------------------
// The tests, run in this order; later ones use what earlier ones made.

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

test("sequence stores: create with every member, get, update, paginate, delete", async () => {
  const since = new Date(Date.now() - 1000);
  const request = {
    name: unique("store"),
    description: "a store for the JavaScript SDK",
    sseConfig: { type: "KMS", keyArn: KMS_ARN },
    tags: { team: "genomics" },
    fallbackLocation: "s3://fallback-bucket/prefix/",
    eTagAlgorithmFamily: "MD5up",
    propagatedSetLevelTags: ["sample", "batch"],
    s3AccessConfig: { accessLogLocation: "s3://log-bucket/logs/" },
  };
  const store = await call(a, "CreateSequenceStore", request);
  assert.match(store.id, /^[0-9]{10}$/);
  assert.equal(store.arn, `arn:aws:omics:${REGION}:${ENV.TEST_ACCOUNT_A}:sequenceStore/${store.id}`);
  assert.ok(store.creationTime instanceof Date);
  const echoed = ["name", "description", "sseConfig", "fallbackLocation", "eTagAlgorithmFamily"];
  echoed.push("propagatedSetLevelTags");
  for (const member of echoed) {
    assert.deepEqual(store[member], request[member], member);
  }
  assert.equal(store.s3Access.accessLogLocation, "s3://log-bucket/logs/");
  assert.equal(store.status, "ACTIVE");
  s.store = store.id;
  s.storeArn = store.arn;

  const got = await call(a, "GetSequenceStore", { id: store.id });
  for (const member of ["id", "arn", "name", "description", "sseConfig", "creationTime", "fallbackLocation"]) {
    assert.deepEqual(got[member], store[member], member);
  }
  const updated = await call(a, "UpdateSequenceStore", {
    id: store.id,
    description: "updated",
    propagatedSetLevelTags: ["lane"],
  });
  assert.equal(updated.description, "updated");
  assert.deepEqual(updated.propagatedSetLevelTags, ["lane"]);
  assert.ok(updated.updateTime instanceof Date);
  assert.deepEqual(updated.creationTime, store.creationTime);

  const others = [];
  for (let i = 0; i < 4; i++) others.push((await call(a, "CreateSequenceStore", { name: unique(`list-${i}`) })).id);
  const filter = { createdAfter: since };
  const { items, sizes } = await paged(paginateListSequenceStores, { pageSize: 2 }, { filter }, "sequenceStores");
  assert.ok(sizes.length >= 3 && sizes.every((n) => n <= 2), `pages ${sizes}`);
  const ids = items.map((x) => x.id);
  assert.equal(new Set(ids).size, ids.length, "each store once");
  for (const id of [store.id, ...others]) assert.ok(ids.includes(id), `${id} listed`);
  assert.ok(items.every((x) => x.creationTime instanceof Date));

  for (const id of others) await call(a, "DeleteSequenceStore", { id });
  await rejects(call(a, "GetSequenceStore", { id: others[0] }), ResourceNotFoundException, 404);
  await rejects(call(a, "DeleteSequenceStore", { id: others[0] }), ResourceNotFoundException, 404);
});

test("tags: TagResource, ListTagsForResource, UntagResource", async () => {
  const tagged = await call(a, "TagResource", { resourceArn: s.storeArn, tags: { owner: "lab", empty: "" } });
  assert.equal(tagged.$metadata.httpStatusCode, 204);
  const listed = await call(a, "ListTagsForResource", { resourceArn: s.storeArn });
  assert.deepEqual(listed.tags, { team: "genomics", owner: "lab", empty: "" });
  await call(a, "UntagResource", { resourceArn: s.storeArn, tagKeys: ["owner", "empty"] });
  assert.deepEqual((await call(a, "ListTagsForResource", { resourceArn: s.storeArn })).tags, { team: "genomics" });
});

test("errors map to the SDK's exception classes", async () => {
  await rejects(call(a, "GetSequenceStore", { id: MISSING_ID }), ResourceNotFoundException, 404, MISSING_ID);
  // Another account's store does not exist for it.
  await rejects(call(b, "GetSequenceStore", { id: s.store }), ResourceNotFoundException, 404);
  // The JavaScript SDK checks no lengths: the server does.
  await rejects(call(a, "CreateSequenceStore", { name: "x".repeat(128) }), ValidationException, 400, "name");
  await rejects(call(a, "ListSequenceStores", { nextToken: "garbage-token" }), ValidationException, 400);
  // An error the model does not list for the operation: the service's base class, named by the server.
  const forged = client("A", { secret: "not-the-secret" });
  const error = await call(forged, "ListSequenceStores").then(assert.fail, (e) => e);
  assert.ok(error instanceof OmicsServiceException, `${error.name}: ${error.message}`);
  assert.equal(error.name, "InvalidSignatureException");
  assert.equal(error.$metadata.httpStatusCode, 403);
});

test("references: import with the waiter, paginators, metadata, download source and index", async () => {
  const store = await call(a, "CreateReferenceStore", {
    name: unique("refs"),
    description: "references for the JavaScript SDK",
    sseConfig: { type: "KMS", keyArn: KMS_ARN },
    tags: { team: "genomics" },
  });
  s.refs = store.id;
  assert.equal(store.arn, `arn:aws:omics:${REGION}:${ENV.TEST_ACCOUNT_A}:referenceStore/${store.id}`);
  assert.equal((await call(a, "GetReferenceStore", { id: store.id })).name, unique("refs"));
  const stores = await paged(paginateListReferenceStores, { pageSize: 1 }, {}, "referenceStores");
  assert.equal(stores.items.filter((x) => x.id === store.id).length, 1);
  assert.ok(stores.sizes.every((n) => n <= 1));

  const sources = [
    { sourceFile: put("ce.fa", CE_FA), name: "ce-reference", description: "C. elegans", tags: { kind: "genome" } },
    { sourceFile: put("spare.fa.gz", gzipSync(">chrS spare\nACGTACGTAC\nGGCC\n")), name: "spare" },
  ];
  const started = await call(a, "StartReferenceImportJob", { referenceStoreId: store.id, roleArn: ROLE, sources });
  assert.ok(["SUBMITTED", "IN_PROGRESS", "COMPLETED"].includes(started.status), started.status);
  const jobId = { referenceStoreId: store.id, id: started.id };
  const waited = await waitUntilReferenceImportJobCompleted(waiterConfig, jobId);
  assert.equal(waited.state, "SUCCESS", JSON.stringify(waited.reason));
  const job = await call(a, "GetReferenceImportJob", jobId);
  assert.equal(job.status, "COMPLETED");
  assert.ok(job.completionTime instanceof Date && job.completionTime >= job.creationTime);
  assert.deepEqual(job.sources.map((x) => x.status), ["FINISHED", "FINISHED"]);
  [s.ce, s.spare] = job.sources.map((x) => x.referenceId);

  // A job with a source that is no FASTA: the waiter's failure acceptor.
  const mixed = await call(a, "StartReferenceImportJob", {
    referenceStoreId: store.id,
    roleArn: ROLE,
    sources: [
      { sourceFile: put("other.fa", ">chrO\nACGT\n"), name: "other" },
      { sourceFile: put("broken.fa", "this is not a FASTA file\n"), name: "broken" },
    ],
  });
  const mixedId = { referenceStoreId: store.id, id: mixed.id };
  const failure = await waitUntilReferenceImportJobCompleted(waiterConfig, mixedId).then(
    (r) => assert.fail(`the waiter succeeded: ${JSON.stringify(r)}`),
    // The waiter throws an Error whose message is the JSON of its result.
    (e) => JSON.parse(e.message),
  );
  assert.equal(failure.state, "FAILURE", JSON.stringify(failure));
  assert.equal(failure.reason.status, "COMPLETED_WITH_FAILURES");
  assert.deepEqual(failure.reason.sources.map((x) => x.status), ["FINISHED", "FAILED"]);
  assert.ok(failure.reason.sources[1].statusMessage);
  s.other = failure.reason.sources[0].referenceId;

  const inStore = { referenceStoreId: store.id };
  const jobs = await paged(paginateListReferenceImportJobs, { pageSize: 1 }, inStore, "importJobs");
  assert.deepEqual(jobs.items.map((j) => j.id).sort(), [started.id, mixed.id].sort());
  const refs = await paged(paginateListReferences, { pageSize: 1 }, inStore, "references");
  assert.deepEqual(refs.items.map((r) => r.id).sort(), [s.ce, s.spare, s.other].sort());
  assert.deepEqual(refs.sizes, [1, 1, 1]);

  const meta = await call(a, "GetReferenceMetadata", { referenceStoreId: store.id, id: s.ce });
  assert.equal(meta.md5, md5(CE_FA));
  assert.equal(meta.status, "ACTIVE");
  assert.equal(meta.files.source.contentLength, CE_FA.length);
  s.ceArn = meta.arn;
  const download = async (file, extra = {}) => {
    const parts = [];
    const total = extra.range ? 1 : meta.files[file.toLowerCase()].totalParts;
    for (let partNumber = 1; partNumber <= total; partNumber++) {
      const out = await call(a, "GetReference", { referenceStoreId: store.id, id: s.ce, file, partNumber, ...extra });
      parts.push(Buffer.from(await out.payload.transformToByteArray()));
    }
    return Buffer.concat(parts);
  };
  assert.ok(meta.files.source.totalParts >= 2, "ce.fa is larger than one 1 MiB part");
  assert.ok((await download("SOURCE")).equals(CE_FA), "the reference's bytes");
  assert.ok((await download("INDEX")).equals(CE_FAI), "the reference's .fai");
  assert.ok((await download("SOURCE", { range: "0-99" })).equals(CE_FA.subarray(0, 100)), "range 0-99");
  await rejects(
    call(a, "GetReference", { referenceStoreId: store.id, id: s.ce, partNumber: 99 }),
    RangeNotSatisfiableException,
    416,
  );
});

test("read set import: FASTQ.gz pair, BAM, uBAM, CRAM with its reference; waiter; paginators", async () => {
  const item = (sourceFileType, source1, source2, extra = {}) => ({
    sourceFiles: source2 ? { source1, source2 } : { source1 },
    sourceFileType,
    subjectId: "subject-1",
    sampleId: "sample-1",
    ...extra,
  });
  const sources = [
    item("FASTQ", put("r1.fq.gz", R1), put("r2.fq.gz", R2), {
      name: "pair",
      description: "a described pair",
      generatedFrom: "sequencer run 7",
      tags: { lane: "1" },
    }),
    item("BAM", put("level-1.bam", BAM), null, { name: "bam" }),
    item("UBAM", put("r1r2.ubam.bam", BAI_FREE_UBAM), null, { name: "ubam" }),
    item("CRAM", put("simple.cram", CRAM), null, { name: "cram", referenceArn: s.ceArn }),
  ];
  const started = await call(a, "StartReadSetImportJob", { sequenceStoreId: s.store, roleArn: ROLE, sources });
  const waited = await waitUntilReadSetImportJobCompleted(waiterConfig, { sequenceStoreId: s.store, id: started.id });
  assert.equal(waited.state, "SUCCESS", JSON.stringify(waited.reason));
  const job = await call(a, "GetReadSetImportJob", { sequenceStoreId: s.store, id: started.id });
  assert.equal(job.status, "COMPLETED");
  assert.deepEqual(job.sources.map((x) => x.status), ["FINISHED", "FINISHED", "FINISHED", "FINISHED"]);
  assert.equal(job.sources[0].generatedFrom, "sequencer run 7");
  [s.pair, s.bam, s.ubam, s.cram] = job.sources.map((x) => x.readSetId);

  const jobs = await paged(paginateListReadSetImportJobs, { pageSize: 1 }, { sequenceStoreId: s.store }, "importJobs");
  assert.deepEqual(jobs.items.map((j) => j.id), [started.id]);
  const sets = await paged(paginateListReadSets, { pageSize: 3 }, { sequenceStoreId: s.store }, "readSets");
  assert.deepEqual(sets.sizes, [3, 1]);
  assert.deepEqual(sets.items.map((x) => x.id).sort(), [s.pair, s.bam, s.ubam, s.cram].sort());

  const pair = await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: s.pair });
  assert.equal(pair.status, "ACTIVE");
  assert.equal(pair.fileType, "FASTQ");
  assert.equal(pair.etag.algorithm, "FASTQ_MD5up");
  assert.equal(pair.etag.source1, md5(gunzipSync(R1)));
  assert.equal(pair.etag.source2, md5(gunzipSync(R2)));
  assert.equal(pair.sequenceInformation.totalReadCount, 2 * READS);
  assert.equal(pair.sequenceInformation.totalBaseCount, 2 * READS * 150);
  assert.equal(pair.files.source1.contentLength, R1.length);
  assert.ok(pair.files.source1.totalParts >= 2, JSON.stringify(pair.files));
  const bam = await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: s.bam });
  assert.equal(bam.etag.algorithm, "BAM_MD5up");
  assert.equal(bam.sequenceInformation.totalReadCount, 20000);
  assert.ok(bam.files.index.contentLength > 0, "a BAM gets an index");
  const cram = await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: s.cram });
  assert.equal(cram.referenceArn, s.ceArn);
  await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: s.ubam });
});

test("read set export: the pair and the BAM to the role's bucket; waiter; paginator", async () => {
  const destination = `s3://exports/js-${RUN}/`;
  const sources = [{ readSetId: s.pair }, { readSetId: s.bam }];
  const started = await call(a, "StartReadSetExportJob", { sequenceStoreId: s.store, destination, roleArn: ROLE, sources });
  assert.equal(started.destination, destination);
  assert.equal(started.status, "SUBMITTED");
  assert.ok(started.creationTime instanceof Date);
  if (ENV.TEST_S3_ENDPOINT) {
    const waited = await waitUntilReadSetExportJobCompleted(waiterConfig, { sequenceStoreId: s.store, id: started.id });
    assert.equal(waited.state, "SUCCESS", JSON.stringify(waited.reason));
  }
  const job = await call(a, "GetReadSetExportJob", { sequenceStoreId: s.store, id: started.id });
  assert.deepEqual(job.readSets.map((x) => x.id), [s.pair, s.bam]);
  if (ENV.TEST_S3_ENDPOINT) {
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual(job.readSets.map((x) => x.status), ["FINISHED", "FINISHED"]);
  }
  const jobs = await paged(paginateListReadSetExportJobs, { pageSize: 1 }, { sequenceStoreId: s.store }, "exportJobs");
  assert.deepEqual(jobs.items.map((j) => j.id), [started.id]);
  assert.equal(jobs.items[0].destination, destination);
});

test("read set activation: archived by the extension, brought back with the waiter; paginator", async () => {
  // BatchArchiveReadSet takes BatchDeleteReadSet's input and output at .../readset/batch/archive:
  // a client of its own rewrites the path before signing.
  const archiver = new OmicsClient({
    endpoint: ENV.TEST_ENDPOINT_URL,
    region: REGION,
    credentials: { accessKeyId: ENV.TEST_KEY_A_ID, secretAccessKey: ENV.TEST_KEY_A_SECRET },
    disableHostPrefix: true,
    maxAttempts: 1,
  });
  archiver.middlewareStack.add(
    (next) => async (args) => {
      args.request.path = args.request.path.replace(/\/readset\/batch\/delete$/, "/readset/batch/archive");
      return next(args);
    },
    { step: "build", name: "seqstoreArchiveInsteadOfDelete" },
  );
  const archived = await archiver.send(new omics.BatchDeleteReadSetCommand({ sequenceStoreId: s.store, ids: [s.ubam] }));
  assert.deepEqual(archived.errors ?? [], []);
  await until("archiving", async () => {
    const meta = await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: s.ubam });
    return meta.status === "ARCHIVED";
  });
  const listed = await call(a, "ListReadSets", { sequenceStoreId: s.store, filter: { status: "ARCHIVED" } });
  assert.deepEqual(listed.readSets.map((r) => r.id), [s.ubam]);
  await rejects(call(a, "GetReadSet", { sequenceStoreId: s.store, id: s.ubam, partNumber: 1 }), ConflictException, 409, "ARCHIVED");
  const sources = [{ readSetId: s.ubam }];
  const started = await call(a, "StartReadSetActivationJob", { sequenceStoreId: s.store, sources, clientToken: RUN });
  assert.ok(started.creationTime instanceof Date);
  const waited = await waitUntilReadSetActivationJobCompleted(waiterConfig, { sequenceStoreId: s.store, id: started.id });
  assert.equal(waited.state, "SUCCESS", JSON.stringify(waited.reason));
  const job = await call(a, "GetReadSetActivationJob", { sequenceStoreId: s.store, id: started.id });
  assert.equal(job.status, "COMPLETED");
  assert.deepEqual(job.sources.map((x) => [x.readSetId, x.status]), [[s.ubam, "FINISHED"]]);
  assert.ok(job.completionTime instanceof Date);
  const jobs = await paged(paginateListReadSetActivationJobs, { pageSize: 1 }, { sequenceStoreId: s.store }, "activationJobs");
  assert.deepEqual(jobs.items.map((j) => j.id), [started.id]);
  const meta = await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: s.ubam });
  assert.equal(meta.status, "ACTIVE");
});

/** Every part of `file` of read set `id`, concatenated; the first one read as a Node stream. */
async function readSetBytes(c, store, id, file) {
  const meta = await call(c, "GetReadSetMetadata", { sequenceStoreId: store, id });
  const parts = [];
  for (let partNumber = 1; partNumber <= meta.files[file.toLowerCase()].totalParts; partNumber++) {
    const out = await call(c, "GetReadSet", { sequenceStoreId: store, id, file, partNumber });
    if (partNumber === 1) {
      const chunks = [];
      for await (const chunk of out.payload) chunks.push(chunk);
      parts.push(Buffer.concat(chunks));
    } else {
      parts.push(Buffer.from(await out.payload.transformToByteArray()));
    }
  }
  return Buffer.concat(parts);
}

test("GetReadSet streams every part of SOURCE1, SOURCE2 and INDEX: the bytes imported", async () => {
  assert.ok((await readSetBytes(a, s.store, s.pair, "SOURCE1")).equals(R1), "pair SOURCE1");
  assert.ok((await readSetBytes(a, s.store, s.pair, "SOURCE2")).equals(R2), "pair SOURCE2");
  assert.ok((await readSetBytes(a, s.store, s.bam, "SOURCE1")).equals(BAM), "BAM");
  assert.ok((await readSetBytes(a, s.store, s.cram, "SOURCE1")).equals(CRAM), "CRAM");
  assert.ok((await readSetBytes(a, s.store, s.ubam, "SOURCE1")).equals(BAI_FREE_UBAM), "uBAM");
  const index = await readSetBytes(a, s.store, s.bam, "INDEX");
  assert.equal(index.subarray(0, 4).toString("latin1"), "BAI\x01", "a BAM index");
  await rejects(
    call(a, "GetReadSet", { sequenceStoreId: s.store, id: s.pair, partNumber: 99 }),
    RangeNotSatisfiableException,
    416,
  );
  const missing = call(a, "GetReadSet", { sequenceStoreId: s.store, id: MISSING_ID, partNumber: 1 });
  await rejects(missing, ResourceNotFoundException, 404);
});

/** Uploads each of `files` in `pieces` parts (SOURCE1, SOURCE2) and returns the part list. */
async function uploadParts(c, store, uploadId, files, pieces) {
  const parts = [];
  for (const [i, data] of files.entries()) {
    const partSource = `SOURCE${i + 1}`;
    const size = Math.ceil(data.length / pieces);
    for (let n = 1; (n - 1) * size < data.length; n++) {
      const payload = data.subarray((n - 1) * size, n * size);
      const input = { sequenceStoreId: store, uploadId, partSource, partNumber: n, payload };
      const out = await call(c, "UploadReadSetPart", input);
      assert.ok(out.checksum, "a part checksum");
      parts.push({ partNumber: n, partSource, checksum: out.checksum });
    }
  }
  return parts;
}

test("direct upload: the pair in parts, list parts and uploads, complete, abort; equal to the import", async () => {
  const base = { sequenceStoreId: s.store, subjectId: "subject-1", sampleId: "sample-1" };
  // No referenceArn or generatedFrom: the README's documented omissions.
  const bare = await call(a, "CreateMultipartReadSetUpload", { ...base, sourceFileType: "FASTQ", name: "uploaded" });
  assert.match(bare.uploadId, /^[0-9]{10,36}$/);
  assert.ok(bare.creationTime instanceof Date);
  assert.equal(bare.referenceArn, undefined);
  const full = await call(a, "CreateMultipartReadSetUpload", {
    ...base,
    sourceFileType: "CRAM",
    name: "uploaded cram",
    description: "every member",
    generatedFrom: "sequencer run 8",
    referenceArn: s.ceArn,
    tags: { lane: "2" },
    clientToken: randomUUID(),
  });
  assert.equal(full.referenceArn, s.ceArn);
  const doomed = await call(a, "CreateMultipartReadSetUpload", { ...base, sourceFileType: "UBAM", name: "aborted" });

  const pairParts = await uploadParts(a, s.store, bare.uploadId, [R1, R2], 3);
  const cramParts = await uploadParts(a, s.store, full.uploadId, [CRAM], 2);
  const listedParts = await paged(
    paginateListReadSetUploadParts,
    { pageSize: 1 },
    { sequenceStoreId: s.store, uploadId: bare.uploadId, partSource: "SOURCE2" },
    "parts",
  );
  assert.deepEqual(listedParts.items.map((p) => p.partNumber), [1, 2, 3]);
  const sent = pairParts.filter((p) => p.partSource === "SOURCE2");
  assert.deepEqual(listedParts.items.map((p) => p.checksum), sent.map((p) => p.checksum));
  assert.equal(listedParts.items.reduce((sum, p) => sum + p.partSize, 0), R2.length);

  const inStore = { sequenceStoreId: s.store };
  const uploads = await paged(paginateListMultipartReadSetUploads, { pageSize: 1 }, inStore, "uploads");
  assert.deepEqual(uploads.sizes, [1, 1, 1]);
  const byId = Object.fromEntries(uploads.items.map((u) => [u.uploadId, u]));
  assert.deepEqual(Object.keys(byId).sort(), [bare.uploadId, full.uploadId, doomed.uploadId].sort());
  assert.equal(byId[full.uploadId].referenceArn, s.ceArn);
  assert.equal(byId[full.uploadId].generatedFrom, "sequencer run 8");
  assert.equal(byId[bare.uploadId].referenceArn, undefined);

  await call(a, "AbortMultipartReadSetUpload", { sequenceStoreId: s.store, uploadId: doomed.uploadId });
  await rejects(
    call(a, "AbortMultipartReadSetUpload", { sequenceStoreId: s.store, uploadId: doomed.uploadId }),
    ResourceNotFoundException,
    404,
  );
  await rejects(
    call(a, "CompleteMultipartReadSetUpload", {
      sequenceStoreId: s.store,
      uploadId: bare.uploadId,
      parts: pairParts.map((p) => ({ ...p, checksum: "bm90IGl0" })),
    }),
    ValidationException,
    400,
    "checksum",
  );
  const done = [];
  for (const [upload, parts] of [[bare, pairParts], [full, cramParts]]) {
    const input = { sequenceStoreId: s.store, uploadId: upload.uploadId, parts };
    const out = await call(a, "CompleteMultipartReadSetUpload", input);
    done.push(out.readSetId);
  }
  [s.uploadedPair, s.uploadedCram] = done;
  for (const id of done) {
    await until(`upload ${id}`, async () => {
      const meta = await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id });
      return meta.status !== "PROCESSING_UPLOAD" && meta;
    });
  }
  const uploaded = await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: s.uploadedPair });
  const imported = await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: s.pair });
  assert.equal(uploaded.status, "ACTIVE", uploaded.statusMessage);
  assert.equal(uploaded.creationType, "UPLOAD");
  assert.deepEqual(uploaded.etag, imported.etag);
  for (const member of ["totalReadCount", "totalBaseCount", "alignment"]) {
    assert.equal(uploaded.sequenceInformation[member], imported.sequenceInformation[member], member);
  }
  assert.ok((await readSetBytes(a, s.store, s.uploadedPair, "SOURCE2")).equals(R2), "uploaded SOURCE2");
  const cram = await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: s.uploadedCram });
  assert.equal(cram.status, "ACTIVE", cram.statusMessage);
  assert.equal(cram.referenceArn, s.ceArn);
});

test("GetReadSet of a read set that is not ACTIVE: ConflictException", async () => {
  const up = await call(a, "CreateMultipartReadSetUpload", {
    sequenceStoreId: s.store,
    sourceFileType: "FASTQ",
    subjectId: "s",
    sampleId: "s",
    name: "broken",
  });
  const broken = Buffer.concat([fastq(50, 40, 0, 3), Buffer.from("@broken\nACGT\n+\nII\n")]);
  const parts = await uploadParts(a, s.store, up.uploadId, [broken], 1);
  const input = { sequenceStoreId: s.store, uploadId: up.uploadId, parts };
  const { readSetId } = await call(a, "CompleteMultipartReadSetUpload", input);
  s.failed = readSetId;
  const meta = await until("the broken upload", async () => {
    const m = await call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: readSetId });
    return m.status !== "PROCESSING_UPLOAD" && m;
  });
  assert.equal(meta.status, "UPLOAD_FAILED");
  assert.equal(meta.etag, undefined);
  await rejects(
    call(a, "GetReadSet", { sequenceStoreId: s.store, id: readSetId, partNumber: 1 }),
    ConflictException,
    409,
    "is UPLOAD_FAILED, not ACTIVE",
  );

  if (!HELD_ENDPOINT) {
    console.log("  (no TEST_HELD_ENDPOINT_URL: the PROCESSING_UPLOAD case is skipped)");
    return;
  }
  // What a download right after an upload meets, on the server whose processing is held.
  const held = client("A", { endpoint: HELD_ENDPOINT });
  const store = (await call(held, "CreateSequenceStore", { name: unique("held") })).id;
  const upload = await call(held, "CreateMultipartReadSetUpload", {
    sequenceStoreId: store,
    sourceFileType: "FASTQ",
    subjectId: "s",
    sampleId: "s",
    name: "held",
  });
  const heldParts = await uploadParts(held, store, upload.uploadId, [fastq(2000, 50, 0, 9)], 1);
  const heldInput = { sequenceStoreId: store, uploadId: upload.uploadId, parts: heldParts };
  const out = await call(held, "CompleteMultipartReadSetUpload", heldInput);
  await rejects(
    call(held, "GetReadSet", { sequenceStoreId: store, id: out.readSetId, partNumber: 1 }),
    ConflictException,
    409,
    "is PROCESSING_UPLOAD, not ACTIVE",
  );
  const heldMeta = await call(held, "GetReadSetMetadata", { sequenceStoreId: store, id: out.readSetId });
  assert.equal(heldMeta.status, "PROCESSING_UPLOAD");
  assert.equal(heldMeta.etag, undefined);
});

test("S3 access policies: the default, put as an object and as text, get, delete", async () => {
  const arnOf = (store) => `arn:aws:s3:${REGION}:${ENV.TEST_ACCOUNT_A}:accesspoint/${store}`;
  for (const [store, storeType] of [
    [s.store, "SEQUENCE_STORE"],
    [s.refs, "REFERENCE_STORE"],
  ]) {
    const arn = arnOf(store);
    const got = await call(a, "GetS3AccessPolicy", { s3AccessPointArn: arn });
    assert.deepEqual([got.s3AccessPointArn, got.storeId, got.storeType], [arn, store, storeType]);
    assert.ok(got.updateTime instanceof Date);
    const defaults = JSON.parse(String(got.s3AccessPolicy));
    assert.deepEqual(defaults.Statement[0].Principal, { AWS: `arn:aws:iam::${ENV.TEST_ACCOUNT_A}:root` });
    const lab = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "Lab",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ENV.TEST_ACCOUNT_B}:root` },
          Action: ["s3:GetObject", "s3:ListBucket"],
          Resource: [arn, `${arn}/object/*`],
          Condition: { StringLike: { "s3:prefix": "runs/*" } },
        },
      ],
    };
    // An object: the SDK sends its JSON text, as the model's jsonvalue trait says.
    const put = await call(a, "PutS3AccessPolicy", { s3AccessPointArn: arn, s3AccessPolicy: lab });
    assert.deepEqual([put.s3AccessPointArn, put.storeId, put.storeType], [arn, store, storeType]);
    const again = await call(a, "GetS3AccessPolicy", { s3AccessPointArn: arn });
    assert.deepEqual(JSON.parse(String(again.s3AccessPolicy)), lab);
    await rejects(call(b, "GetS3AccessPolicy", { s3AccessPointArn: arn }), ResourceNotFoundException, 404);
  }
  const arn = arnOf(s.store);
  const open = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${arn}/object/*` };
  const text = JSON.stringify({ Version: "2012-10-17", Statement: open });
  await rejects(
    call(a, "PutS3AccessPolicy", { s3AccessPointArn: arn, s3AccessPolicy: text }),
    ValidationException,
    400,
    "Statement[0].Principal * is not supported",
  );
  await call(a, "DeleteS3AccessPolicy", { s3AccessPointArn: arn });
  await rejects(call(a, "GetS3AccessPolicy", { s3AccessPointArn: arn }), ResourceNotFoundException, 404);
});

test("deletes: BatchDeleteReadSet, DeleteReference, DeleteReferenceStore, DeleteSequenceStore", async () => {
  const batch = await call(a, "BatchDeleteReadSet", { sequenceStoreId: s.store, ids: [s.uploadedPair, MISSING_ID] });
  assert.equal(batch.errors.length, 1, JSON.stringify(batch.errors));
  assert.equal(batch.errors[0].id, MISSING_ID);
  assert.ok(batch.errors[0].code && batch.errors[0].message);
  const gone = call(a, "GetReadSetMetadata", { sequenceStoreId: s.store, id: s.uploadedPair });
  await rejects(gone, ResourceNotFoundException, 404);
  const rest = [s.pair, s.bam, s.ubam, s.cram, s.uploadedCram, s.failed];
  assert.deepEqual((await call(a, "BatchDeleteReadSet", { sequenceStoreId: s.store, ids: rest })).errors ?? [], []);

  await rejects(call(a, "DeleteReferenceStore", { id: s.refs }), ConflictException, 409);
  for (const id of [s.ce, s.spare, s.other]) await call(a, "DeleteReference", { referenceStoreId: s.refs, id });
  const goneRef = call(a, "GetReferenceMetadata", { referenceStoreId: s.refs, id: s.ce });
  await rejects(goneRef, ResourceNotFoundException, 404);
  await call(a, "DeleteReferenceStore", { id: s.refs });
  await rejects(call(a, "GetReferenceStore", { id: s.refs }), ResourceNotFoundException, 404);
  await until("the read sets' deletion", async () => {
    const listed = await call(a, "ListReadSets", { sequenceStoreId: s.store });
    return listed.readSets.length === 0;
  });
  await call(a, "DeleteSequenceStore", { id: s.store });
  await rejects(call(a, "GetSequenceStore", { id: s.store }), ResourceNotFoundException, 404);
});

test("every implemented operation answered the JavaScript SDK with success", async () => {
  const never = OPERATIONS.filter((op) => !findings.succeeded.has(op));
  assert.deepEqual(never, [], `implemented operations never exercised: ${never.join(", ")}`);
  const unknown = [...findings.succeeded].filter((op) => !OPERATIONS.includes(op));
  assert.deepEqual(unknown, [], "operations that succeeded but are not in TEST_OPERATIONS");
});

test("the SDK parsed every response member as sent, and the model's required members are there", async () => {
  assert.deepEqual(findings.misparsed, [], `responses the SDK misparsed:\n${findings.misparsed.join("\n")}`);
  const allowed = readmeOmissions();
  const unlisted = [...findings.missing]
    .filter(([pair]) => !allowed.has(pair))
    .map(([pair, raw]) => `${pair} missing from ${raw}`);
  assert.deepEqual(unlisted, [], `required members missing and not in the README:\n${unlisted.join("\n")}`);
  // seqstore's extra members (statusDetail, files.*.sha256, …): the SDK leaves them out, as it
  // should; each must be in the README's table of members beyond the model.
  const extras = readmeExtras();
  const undocumented = [...findings.unmodelled].filter((pair) => !extras.some((row) => row.test(pair)));
  assert.deepEqual(undocumented, [], `members beyond the model, not in the README:\n${undocumented.join("\n")}`);
});

// ---------------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
const started = Date.now();
for (const [name, fn] of tests) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}\n${String(error?.stack ?? error).replace(/^/gm, "     ")}`);
  }
}
rmSync(DIR, { recursive: true, force: true });
console.log(`js-clients: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exit(failed || !passed ? 1 : 0);

#!/usr/bin/env node
/**
 * Extracts the response schemas that the contract tests check from the published OpenAI
 * OpenAPI documents, and writes them to test/contract/openai-schemas.json (committed: the
 * specs themselves live in shared/, which a fresh clone does not have).
 *
 * Run from the repository root, with the specs directory as the only (optional) argument:
 *
 *   node scripts/extract-schemas.mjs [SPEC_DIR]        # default SPEC_DIR: ../shared/specs
 *
 * Inputs: openai-openapi.2026-08.yaml (the current, v2 edition, OpenAPI 3.1) and
 * openai-openapi.2024-04-assistants-v1.yaml (the last edition with assistants=v1, OpenAPI 3.0).
 *
 * What the output holds, per edition: each checked schema with every `$ref` resolved inline
 * (recursively), annotations dropped (description, example(s), title, default, x-*, ...), so
 * only the structure is left. OpenAPI 3.0 `nullable: true` becomes JSON Schema (`type: [T,
 * "null"]`, or `anyOf` with `{type: "null"}` where there is no `type`), so that one JSON Schema
 * 2020-12 validator (ajv) takes both editions.
 *
 * Overlays, each recorded under `overlays` with its reason, and no others: (1) the real API
 * answers `first_id`/`last_id` as null on an empty list page; where a list schema says they are
 * non-null strings they are made nullable. (2) A name in `required` that the schema never
 * defines as a property (the v1 ListMessageFilesResponse requires an `items` it does not
 * describe) is a defect of the document and is dropped from `required`. (3) The file object's
 * `purpose` enum lacks `evals`, a purpose the same document's upload request (CreateFileRequest)
 * accepts and the API answers with: it is added. Any other difference
 * between the service and the published schema is a finding, not an overlay.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, 'test/contract/openai-schemas.json');

const EDITIONS = {
  v2: {
    file: 'openai-openapi.2026-08.yaml',
    schemas: [
      'ThreadObject',
      'MessageObject',
      'ListMessagesResponse',
      'DeleteMessageResponse',
      'DeleteThreadResponse',
      'ErrorResponse',
      'OpenAIFile',
      'ListFilesResponse',
      'DeleteFileResponse',
    ],
  },
  v1: {
    file: 'openai-openapi.2024-04-assistants-v1.yaml',
    schemas: [
      'ThreadObject',
      'MessageObject',
      'ListMessagesResponse',
      'DeleteMessageResponse',
      'DeleteThreadResponse',
      'MessageFileObject',
      'ListMessageFilesResponse',
      'ErrorResponse',
    ],
  },
};

/** The list envelopes whose `first_id`/`last_id` get the one permitted overlay. */
const LIST_SCHEMAS = new Set(['ListMessagesResponse', 'ListMessageFilesResponse', 'ListFilesResponse']);
const OVERLAY_REASON =
  'The API answers first_id and last_id as null on an empty list page (there is no first or last object); the published schema types them as non-null strings.';

/** Annotation and OpenAPI-only keywords: they do not constrain a response's structure. */
const DROPPED = new Set([
  'description',
  'example',
  'examples',
  'title',
  'default',
  'externalDocs',
  'deprecated',
  'readOnly',
  'writeOnly',
  'discriminator',
  'xml',
  '$comment',
]);
/** Keywords whose value is a map of names to schemas (the names are data, not keywords). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Keywords whose value is data, copied as is. */
const LITERALS = new Set(['enum', 'const', 'required']);

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

function loadSpec(path) {
  // The v1 edition redefines some YAML anchors and repeats some keys: allowed here, as
  // YAML 1.2 makes an alias refer to the latest anchor of its name.
  const document = YAML.parseDocument(readFileSync(path, 'utf8'), { uniqueKeys: false, maxAliasCount: -1 });
  if (document.errors.length > 0) throw new Error(`${path}: ${document.errors.map((e) => e.message).join('; ')}`);
  return document.toJS({ maxAliasCount: -1 });
}

function pointer(document, ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got '${ref}'`);
  let node = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(key in node)) throw new Error(`unresolvable $ref '${ref}'`);
    node = node[key];
  }
  return node;
}

/** OpenAPI 3.0's `nullable` as JSON Schema. */
function convertNullable(schema) {
  if (!('nullable' in schema)) return schema;
  const { nullable, ...rest } = schema;
  if (nullable !== true) return rest;
  if (typeof rest.type === 'string') {
    rest.type = [rest.type, 'null'];
    if (Array.isArray(rest.enum) && !rest.enum.includes(null)) rest.enum = [...rest.enum, null];
    return rest;
  }
  if (Array.isArray(rest.type)) {
    if (!rest.type.includes('null')) rest.type = [...rest.type, 'null'];
    return rest;
  }
  return { anyOf: [rest, { type: 'null' }] };
}

/** OpenAPI 3.0's boolean exclusiveMinimum/exclusiveMaximum as JSON Schema's numeric form. */
function convertExclusiveBounds(schema) {
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ]) {
    if (typeof schema[flag] !== 'boolean') continue;
    if (schema[flag] && bound in schema) schema[flag] = schema[bound];
    else delete schema[flag];
    if (typeof schema[flag] === 'number') delete schema[bound];
  }
  return schema;
}

function extract(document, name) {
  const resolving = [];

  const walk = (node) => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObject(node)) return node;
    if (typeof node.$ref === 'string') {
      const ref = node.$ref;
      if (resolving.includes(ref)) throw new Error(`cyclic $ref: ${[...resolving, ref].join(' -> ')}`);
      resolving.push(ref);
      const target = walk(pointer(document, ref));
      resolving.pop();
      // OpenAPI 3.1 allows keywords beside $ref; those that constrain are kept with allOf.
      const siblings = { ...node };
      delete siblings.$ref;
      const rest = walk(siblings);
      return Object.keys(rest).length === 0 ? target : { allOf: [target, rest] };
    }
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      if (DROPPED.has(key) || key.startsWith('x-')) continue;
      if (SCHEMA_MAPS.has(key) && isObject(value)) {
        out[key] = Object.fromEntries(Object.entries(value).map(([prop, schema]) => [prop, walk(schema)]));
      } else if (LITERALS.has(key)) {
        out[key] = structuredClone(value);
      } else {
        out[key] = walk(value);
      }
    }
    return convertExclusiveBounds(convertNullable(out));
  };

  return walk(pointer(document, `#/components/schemas/${name}`));
}

function acceptsNull(schema) {
  if (schema.type === 'null' || (Array.isArray(schema.type) && schema.type.includes('null'))) return true;
  if (Array.isArray(schema.enum) && schema.enum.includes(null)) return true;
  return ['anyOf', 'oneOf'].some((k) => Array.isArray(schema[k]) && schema[k].some(acceptsNull));
}

/** The one permitted overlay: nullable first_id/last_id on list envelopes. */
function applyListOverlay(edition, name, schema, overlays) {
  if (!LIST_SCHEMAS.has(name)) return;
  for (const field of ['first_id', 'last_id']) {
    const published = schema.properties?.[field];
    if (!published) throw new Error(`${edition} ${name} has no '${field}' property`);
    if (acceptsNull(published)) continue;
    const patched = { anyOf: [published, { type: 'null' }] };
    schema.properties[field] = patched;
    overlays.push({ edition, schema: name, path: `/properties/${field}`, published, patched, reason: OVERLAY_REASON });
  }
}

const UNDEFINED_REQUIRED_REASON =
  'The published schema lists this name in required but never defines it as a property: a defect of the document, not a field the API returns.';

/** The second permitted overlay: drop required names that the schema never defines. */
function dropUndefinedRequired(edition, name, schema, overlays) {
  if (!Array.isArray(schema.required) || !schema.properties) return;
  const undefinedNames = schema.required.filter((field) => !(field in schema.properties));
  if (undefinedNames.length === 0) return;
  const published = [...schema.required];
  schema.required = schema.required.filter((field) => field in schema.properties);
  overlays.push({ edition, schema: name, path: '/required', published, patched: schema.required, reason: UNDEFINED_REQUIRED_REASON });
}

/** The file object's purpose, and the purposes an upload may give that it lacks. */
const FILE_PURPOSE_ADDITIONS = ['evals'];
const FILE_PURPOSE_REASON =
  "The published file object's purpose enum lacks 'evals', which the same document's CreateFileRequest accepts " +
  "as an upload's purpose and the API answers with.";

/** The third permitted overlay: the file object's purpose enum gains the upload purposes it lacks. */
function addFilePurposes(edition, name, schema, overlays) {
  const at =
    name === 'OpenAIFile' ? ['properties', 'purpose'] : name === 'ListFilesResponse' ? ['properties', 'data', 'items', 'properties', 'purpose'] : undefined;
  if (!at) return;
  const purpose = at.reduce((node, key) => node?.[key], schema);
  if (!Array.isArray(purpose?.enum)) throw new Error(`${edition} ${name} has no purpose enum at /${at.join('/')}`);
  const missing = FILE_PURPOSE_ADDITIONS.filter((value) => !purpose.enum.includes(value));
  if (missing.length === 0) return;
  const published = { ...purpose, enum: [...purpose.enum] };
  purpose.enum = [...purpose.enum, ...missing];
  overlays.push({ edition, schema: name, path: `/${at.join('/')}`, published, patched: { ...purpose }, reason: FILE_PURPOSE_REASON });
}

function keywordsOf(node, into = new Set()) {
  if (Array.isArray(node)) node.forEach((item) => keywordsOf(item, into));
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (SCHEMA_MAPS.has(key)) {
        into.add(key);
        Object.values(value).forEach((schema) => keywordsOf(schema, into));
      } else if (!LITERALS.has(key)) {
        into.add(key);
        keywordsOf(value, into);
      } else into.add(key);
    }
  }
  return into;
}

function main() {
  const specDir = resolve(process.argv[2] ?? join(ROOT, '../shared/specs'));
  const output = {
    $comment: 'Generated by scripts/extract-schemas.mjs from the published OpenAI OpenAPI documents; do not edit by hand.',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    source: {},
    dropped: [...DROPPED, 'x-*'],
    overlays: [],
  };
  const schemas = {};
  for (const [edition, { file, schemas: names }] of Object.entries(EDITIONS)) {
    const path = join(specDir, file);
    const text = readFileSync(path);
    const document = loadSpec(path);
    output.source[edition] = {
      file,
      openapi: document.openapi,
      info: { version: document.info?.version },
      sha256: createHash('sha256').update(text).digest('hex'),
    };
    schemas[edition] = {};
    for (const name of names) {
      const schema = extract(document, name);
      applyListOverlay(edition, name, schema, output.overlays);
      dropUndefinedRequired(edition, name, schema, output.overlays);
      addFilePurposes(edition, name, schema, output.overlays);
      schemas[edition][name] = schema;
    }
  }
  Object.assign(output, schemas);

  mkdirSync(dirname(OUTPUT), { recursive: true });
  const json = JSON.stringify(output, null, 1) + '\n';
  writeFileSync(OUTPUT, json);
  const keywords = new Set();
  for (const edition of Object.values(schemas)) Object.values(edition).forEach((schema) => keywordsOf(schema, keywords));
  process.stdout.write(
    [
      `Wrote ${relative(process.cwd(), OUTPUT)} (${json.length} bytes) from ${specDir}`,
      ...Object.entries(output.source).map(([e, s]) => `  ${e}: ${s.file} (OpenAPI ${s.openapi}, info.version ${s.info.version})`),
      `  overlays: ${output.overlays.map((o) => `${o.edition} ${o.schema}${o.path}`).join(', ') || 'none'}`,
      `  keywords in the schemas: ${[...keywords].sort().join(' ')}`,
    ].join('\n') + '\n',
  );
}

main();

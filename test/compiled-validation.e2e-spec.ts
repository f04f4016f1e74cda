import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { instantiate } from '../src/common/errors/compiled-instantiation';
import { passes } from '../src/common/errors/compiled-validation';
import { ListQueryDto } from '../src/common/pagination/list-query.dto';
import { CreateConversationDto } from '../src/conversations/dto/create-conversation.dto';
import { CreateItemsDto } from '../src/conversations/dto/create-items.dto';
import { ListItemsQueryDto } from '../src/conversations/dto/item-query.dto';
import { UpdateConversationDto } from '../src/conversations/dto/update-conversation.dto';
import { ListFilesQueryDto } from '../src/files/list-files-query.dto';
import { CreateMessageDto } from '../src/messages/dto/create-message.dto';
import { ListMessagesQueryDto } from '../src/messages/dto/list-messages-query.dto';
import { ModifyMessageDto } from '../src/messages/dto/modify-message.dto';
import { SearchMessagesQueryDto } from '../src/messages/dto/search-messages-query.dto';
import { CreateThreadDto } from '../src/threads/dto/create-thread.dto';
import { ListThreadsQueryDto } from '../src/threads/dto/list-threads-query.dto';
import { ModifyThreadDto } from '../src/threads/dto/modify-thread.dto';
import { replayCommand, SeededRandom, seedsFor } from './support/seeded-random';

/**
 * The compiled rules that let a valid request skip class-validator must never call valid what
 * class-validator refuses, nor refuse what it accepts (a refusal only costs the slow path, but an
 * agreement both ways shows the rules are the same). Valid bodies of every DTO, mutated at random.
 */

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false, validationError: { target: false, value: true } };
const SEEDS = seedsFor('VALIDATION_SEED', [20261204]);
const MUTANTS = 1500;

type Dto = new () => object;
const message = { role: 'user', content: 'hello', attachments: [{ file_id: 'file-1', tools: [{ type: 'file_search' }] }], metadata: { k: 'v' } };
const SAMPLES: [Dto, Record<string, unknown>][] = [
  [CreateMessageDto, message],
  [
    CreateMessageDto,
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'hi' },
        { type: 'image_file', image_file: { file_id: 'file-2', detail: 'low' } },
      ],
    },
  ],
  [CreateMessageDto, { role: 'user', content: 'v1', file_ids: ['file-1', 'file-2'] }],
  [CreateThreadDto, { messages: [message, { role: 'user', content: 'two' }], tool_resources: { code_interpreter: { file_ids: ['file-1'] } }, metadata: {} }],
  [CreateThreadDto, { tool_resources: { file_search: { vector_store_ids: ['vs_1'] } } }],
  [ModifyThreadDto, { metadata: { a: 'b' }, tool_resources: { code_interpreter: { file_ids: [] } } }],
  [ModifyMessageDto, { metadata: { a: 'b' } }],
  [ListQueryDto, { limit: '20', order: 'asc', after: 'msg_1', before: 'msg_2' }],
  [ListMessagesQueryDto, { limit: '5', order: 'desc', run_id: 'run_1', query: 'hello' }],
  [ListThreadsQueryDto, { limit: '100', created_after: '1700000000', created_before: '1800000000' }],
  [SearchMessagesQueryDto, { query: 'hello world', limit: '3' }],
  [CreateConversationDto, { items: [{ type: 'message', role: 'user', content: 'hi' }], metadata: { topic: 'x' } }],
  [CreateItemsDto, { items: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hello' }] }] }],
  [UpdateConversationDto, { metadata: { topic: 'y' } }],
  [ListFilesQueryDto, { limit: '10000', order: 'asc', after: 'file-1', purpose: 'assistants' }],
  [ListItemsQueryDto, { limit: '10', order: 'asc', after: 'msg_1', include: ['message.input_image.image_url'] }],
];

const VALUES: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'user',
  'text',
  'é',
  ' a b ',
  'a'.repeat(129),
  '20',
  '0',
  '101',
  '-1',
  '1.5',
  0,
  1,
  101,
  1.5,
  true,
  {},
  [],
  [1],
  ['x'],
  [{}],
  { a: 1 },
  { type: 'text', text: 'hi' },
  { file_id: 'file-1', tools: [] },
  { type: 'message', role: 'user', content: 'hi' },
  // Keys that plainToInstance drops: the compiled copy must leave them to it.
  JSON.parse('{"__proto__":{"a":"b"}}'),
  { toString: 'x', a: [{ valueOf: 1 }] },
];
const KEYS = [
  'role',
  'content',
  'metadata',
  'attachments',
  'file_ids',
  'tools',
  'type',
  'text',
  'limit',
  'order',
  'after',
  'items',
  'unknown',
  'toString',
  'constructor',
];

const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

/** One random change somewhere in the value: a key set, deleted or added, an element replaced, or the whole replaced. */
function mutate(value: unknown, rng: SeededRandom, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || rng.chance(0.1 + depth * 0.1)) return clone(rng.pick(VALUES));
  if (Array.isArray(value)) {
    if (value.length === 0 || rng.chance(0.2)) return [...value, clone(rng.pick(VALUES))];
    const i = rng.int(value.length);
    return value.map((item, j) => (j === i ? mutate(item, rng, depth + 1) : item));
  }
  const copy = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const r = rng.next();
  if (r < 0.2 && keys.length > 0) delete copy[rng.pick(keys)];
  else if (r < 0.35) copy[rng.pick(KEYS)] = clone(rng.pick(VALUES));
  else if (keys.length > 0) {
    const key = rng.pick(keys);
    copy[key] = mutate(copy[key], rng, depth + 1);
  }
  return copy;
}

/**
 * Same classes, same own keys in the same order, same values, at every depth; and the same objects
 * of the source kept as they are (a @Transform that passes the sent value through).
 */
function same(a: unknown, b: unknown, source: unknown): boolean {
  if (typeof source === 'object' && source !== null && (a === source) !== (b === source)) return false;
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Object.is(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const [ka, kb] = [Object.keys(a), Object.keys(b)];
  const at = (value: unknown, key: string) => (value as Record<string, unknown>)[key];
  const from = typeof source === 'object' && source !== null ? source : undefined;
  return ka.length === kb.length && ka.every((key, i) => key === kb[i] && same(at(a, key), at(b, key), from && at(from, key)));
}

/** What a call returns, or the message of what it throws. */
function attempt<T>(call: () => T): { value: T } | { error: string } {
  try {
    return { value: call() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** A query string's parameters as the platforms parse them: an object without a prototype. */
const asQuery = (body: object): object => Object.assign(Object.create(null) as object, body);

/**
 * `check` on every DTO's valid samples and on MUTANTS of them (one to three random changes each), the
 * bodies `check` finds wrong listed with the command that replays the seed.
 */
function expectAgreement(seed: number, check: (dto: Dto, body: object) => string | undefined): void {
  const rng = new SeededRandom(seed);
  const disagreements: string[] = [];
  const run = (dto: Dto, body: unknown) => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
    const wrong = check(dto, body);
    if (wrong !== undefined) disagreements.push(`${dto.name} ${JSON.stringify(body)}${wrong}`);
  };
  for (const [dto, body] of SAMPLES) run(dto, body);
  for (let n = 0; n < MUTANTS; n++) {
    const [dto, body] = rng.pick(SAMPLES);
    let mutant: unknown = body;
    for (let k = rng.range(1, 3); k > 0; k--) mutant = mutate(mutant, rng);
    run(dto, mutant);
  }
  const replay = replayCommand('VALIDATION_SEED', seed, 'test/compiled-validation.e2e-spec.ts');
  expect({ replay, disagreements: disagreements.slice(0, 5) }).toEqual({ replay, disagreements: [] });
}

describe.each(SEEDS)('compiled validation agrees with class-validator (VALIDATION_SEED=%i)', (seed) => {
  it(`on every DTO's valid samples and ${MUTANTS} mutants of them`, () => {
    for (const [dto, body] of SAMPLES) {
      expect({ dto: dto.name, valid: passes(plainToInstance(dto, body) as object) }).toEqual({ dto: dto.name, valid: true });
    }
    let accepted = 0;
    expectAgreement(seed, (dto, body) => {
      const made = attempt(() => plainToInstance(dto, body) as object);
      // A value that plainToInstance throws on (an Object member's name as a key under a Number type) is no case here.
      if ('error' in made) return undefined;
      const classValidator = validateSync(made.value, OPTIONS).length === 0;
      if (classValidator) accepted++;
      return passes(made.value) === classValidator ? undefined : `: class-validator ${classValidator}`;
    });
    // Both verdicts occur: the mutants are neither all valid nor all refused.
    expect(accepted).toBeGreaterThan(MUTANTS / 20);
    expect(accepted).toBeLessThan(MUTANTS);
  });

  it(`makes what plainToInstance makes, or leaves it to it, on the same samples and mutants`, () => {
    for (const [dto, body] of SAMPLES) {
      expect({ dto: dto.name, answered: instantiate(dto, body) !== undefined }).toEqual({ dto: dto.name, answered: true });
    }
    let answered = 0;
    expectAgreement(seed, (dto, body) => {
      for (const value of [body, asQuery(body)]) {
        const made = attempt(() => instantiate(dto, value));
        if ('value' in made && made.value === undefined) continue;
        answered++;
        const expected = attempt(() => plainToInstance(dto, value));
        const agree = 'error' in made ? 'error' in expected && expected.error === made.error : 'value' in expected && same(made.value, expected.value, value);
        if (!agree) return value === body ? '' : ' (as a query)';
      }
      return undefined;
    });
    // Most values take the compiled copy; the rest are left to class-transformer.
    expect(answered).toBeGreaterThan(MUTANTS / 2);
    expect(answered).toBeLessThan(2 * MUTANTS);
  });
});

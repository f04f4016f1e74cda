import { TransformationType } from 'class-transformer';
import { defaultOptions } from 'class-transformer/cjs/constants/default-options.constant';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import type { TransformMetadata, TypeMetadata } from 'class-transformer/types/interfaces';
import { validatedProperties } from './compiled-validation';
import { perClass } from './per-class';

/**
 * class-transformer's `plainToInstance(dto, value)` for a value of the JSON body parser or the query
 * string parser, without its per-call work: each class's decorators are looked up once, and a value
 * is copied in one walk. It answers only where it gives what plainToInstance gives: a key that is
 * none of the DTO's validated properties, or that plainToInstance would drop or treat apart (an
 * Object member's name: `constructor`, `toString`), a class with `@Expose`/`@Exclude`, discriminators
 * or accessors, a `Date` or `Buffer` type, is left to class-transformer (undefined). Those values are
 * refused by the validation that follows anyway.
 */

/** A DTO class, as both libraries key their metadata. */
type Target = new () => object;

interface PropertyPlan {
  type?: TypeMetadata;
  transforms: TransformMetadata[];
}

type ClassPlan = Map<string, PropertyPlan>;

/** A class whose decorators are not compiled: always left to class-transformer. */
const UNSUPPORTED = null;
/** A value the walk does not answer for. */
const LEFT = Symbol('left to class-transformer');

const OBJECT_PROTOTYPE = Object.prototype;
/** The options plainToInstance passes to a @Transform function when it is given none. */
const OPTIONS = { ...defaultOptions };

const planFor = perClass<Target, ClassPlan | typeof UNSUPPORTED>(compile);

/**
 * Whether plainToInstance fills an array under a property of this reflected type as a plain array:
 * it makes `new type()` and keeps it when it is a Set or has `push`, else takes `[]`.
 */
function fillsPlainArray(reflected: unknown): boolean {
  if (reflected === undefined) return true;
  if (typeof reflected !== 'function') return false;
  try {
    const made = new (reflected as new () => object)();
    if (Array.isArray(made)) return Object.getPrototypeOf(made) === Array.prototype;
    return !(made instanceof Set) && !('push' in made);
  } catch {
    return false;
  }
}

function compile(target: Target): ClassPlan | typeof UNSUPPORTED {
  const storage = defaultMetadataStorage;
  if (storage.getStrategy(target) !== 'none') return UNSUPPORTED;
  if (storage.getExposedMetadatas(target).length > 0 || storage.getExcludedMetadatas(target).length > 0) return UNSUPPORTED;
  const names = Object.keys(validatedProperties(target));
  const sample = new target() as Record<string, unknown>;
  const plan: ClassPlan = new Map();
  for (const name of names) {
    // plainToInstance skips a key the prototype holds (a method, an accessor, an Object member).
    if (name in target.prototype || typeof sample[name] === 'function') return UNSUPPORTED;
    const type = storage.findTypeMetadata(target, name) as TypeMetadata | undefined;
    // A Map type converts a value key by key; an array type of its own fills another collection.
    if (type && (type.options?.discriminator || type.reflectedType === Map || !fillsPlainArray(type.reflectedType))) return UNSUPPORTED;
    const transforms = storage.findTransformMetadatas(target, name, TransformationType.PLAIN_TO_CLASS).filter((metadata) => !metadata.options?.groups?.length);
    plan.set(name, { type, transforms });
  }
  return plan;
}

/** What plainToInstance makes of `value` given the property type `type` (undefined: none). */
function convert(value: unknown, type: unknown): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = convert(value[i], type);
      if (item === LEFT) return LEFT;
      out.push(item);
    }
    return out;
  }
  if (value === null || value === undefined) return value;
  if (type === String) return String(value);
  if (type === Number) return Number(value);
  if (type === Boolean) return Boolean(value);
  if (type === Date || type === Buffer) return LEFT;
  if (typeof value !== 'object') return value;
  if (typeof type === 'function' && type !== Object) return instance(type as Target, value as Record<string, unknown>);
  return copy(value as Record<string, unknown>);
}

/** A plain object without a type: a plain copy, every value converted without a type. */
function copy(value: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key in OBJECT_PROTOTYPE) return LEFT;
    const item = convert(value[key], undefined);
    if (item === LEFT) return LEFT;
    out[key] = item;
  }
  return out;
}

function instance(target: Target, value: Record<string, unknown>): object | typeof LEFT {
  const plan = planFor(target);
  if (plan === UNSUPPORTED) return LEFT;
  const out = new target() as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    const property = plan.get(key);
    if (property === undefined) return LEFT;
    const type =
      property.type &&
      (property.type.typeFunction ? property.type.typeFunction({ newObject: out, object: value, property: key }) : property.type.reflectedType);
    let item = convert(value[key], type);
    if (item === LEFT) return LEFT;
    for (const transform of property.transforms)
      item = transform.transformFn({ value: item, key, obj: value, type: TransformationType.PLAIN_TO_CLASS, options: OPTIONS });
    out[key] = item;
  }
  return out;
}

/** `plainToInstance(target, value)` for a parsed body or query, or undefined when it is left to class-transformer. */
export function instantiate(target: Target, value: object): object | undefined {
  if (Array.isArray(value)) return undefined;
  const made = instance(target, value as Record<string, unknown>);
  return made === LEFT ? undefined : made;
}

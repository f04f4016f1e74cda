import { getMetadataStorage, ValidationArguments, ValidationTypes, ValidatorConstraintInterface } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { perClass } from './per-class';

/**
 * class-validator's verdict on a DTO instance, without its per-call work: the metadata of each class
 * is looked up, filtered and grouped once, and a valid object allocates no error objects. It only
 * answers "valid"; anything else (an invalid object, a rule it does not compile) is left to
 * class-validator, which words the error. The rules (whitelist with forbidNonWhitelisted, IsDefined,
 * conditional, custom and nested validation) are applied as ValidationExecutor applies them.
 */

/** A rule and the validators of its constraint class, looked up once. */
interface Check {
  metadata: ValidationMetadata;
  validators: ValidatorConstraintInterface[];
}

interface PropertyPlan {
  name: string;
  conditions: ValidationMetadata[];
  checks: Check[];
  /** Nested validation asked for (the same whatever number of metadata ask for it). */
  nested: boolean;
}

interface ClassPlan {
  known: Set<string>;
  properties: PropertyPlan[];
}

/** A class whose rules are not compiled (async or promise validation): always left to class-validator. */
const UNSUPPORTED = null;

/** A DTO class, as class-validator keys its metadata. */
type Target = abstract new (...args: never[]) => unknown;

const planFor = perClass<Target, ClassPlan | typeof UNSUPPORTED>(compile);

/**
 * A DTO class's validation metadata by property name: its properties are the keys the whitelist lets
 * through (and the only ones the compiled copy of plainToInstance answers for).
 */
export function validatedProperties(target: Target): Record<string, ValidationMetadata[]> {
  const storage = getMetadataStorage();
  return storage.groupByPropertyName(storage.getTargetValidationMetadatas(target, '', false, false));
}

function compile(target: Target): ClassPlan | typeof UNSUPPORTED {
  const storage = getMetadataStorage();
  const grouped = validatedProperties(target);
  const properties: PropertyPlan[] = [];
  for (const [name, all] of Object.entries(grouped)) {
    const of = (type: string) => all.filter((m) => m.type === type);
    // IS_DEFINED first, then the other custom rules, as ValidationExecutor.performValidations runs them.
    if (of(ValidationTypes.PROMISE_VALIDATION).length > 0) return UNSUPPORTED;
    const checks: Check[] = [];
    for (const metadata of [...of(ValidationTypes.IS_DEFINED), ...of(ValidationTypes.CUSTOM_VALIDATION)]) {
      const constraints = storage.getTargetValidatorConstraints(metadata.constraintCls);
      if (constraints.some((constraint) => constraint.async)) return UNSUPPORTED;
      checks.push({ metadata, validators: constraints.map((constraint) => constraint.instance as ValidatorConstraintInterface) });
    }
    properties.push({ name, conditions: of(ValidationTypes.CONDITIONAL_VALIDATION), checks, nested: of(ValidationTypes.NESTED_VALIDATION).length > 0 });
  }
  return { known: new Set(Object.keys(grouped)), properties };
}

const isCollection = (value: unknown): value is unknown[] | Set<unknown> | Map<unknown, unknown> =>
  Array.isArray(value) || value instanceof Set || value instanceof Map;

/** class-validator takes any truthy answer as valid; a promise is left to it. */
const isTrue = (answer: unknown): boolean => Boolean(answer) && typeof (answer as { then?: unknown }).then !== 'function';

function passesChecks(object: object, value: unknown, checks: Check[]): boolean {
  for (const { metadata, validators } of checks) {
    if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
    const args: ValidationArguments = {
      targetName: object.constructor?.name,
      property: metadata.propertyName,
      object,
      value,
      constraints: metadata.constraints,
    };
    for (const validator of validators) {
      const validate = (item: unknown) => isTrue(validator.validate(item, args));
      if (metadata.each && isCollection(value)) {
        for (const item of value instanceof Map ? value.values() : value) if (!validate(item)) return false;
      } else if (!validate(value)) {
        return false;
      }
    }
  }
  return true;
}

/** A nested value: each element of a collection (at any depth), or an object whose own class's rules pass. */
function passesNested(value: unknown): boolean {
  if (value === undefined) return true;
  if (isCollection(value)) {
    for (const item of value instanceof Map ? value.values() : value) if (!passesNested(item)) return false;
    return true;
  }
  return value instanceof Object && passes(value);
}

/** True when class-validator, with whitelist and forbidNonWhitelisted, would find nothing wrong with `object`. */
export function passes(object: object): boolean {
  const plan = planFor(object.constructor as Target);
  if (plan === UNSUPPORTED) return false;
  for (const key of Object.keys(object)) if (!plan.known.has(key)) return false;
  const record = object as Record<string, unknown>;
  for (const property of plan.properties) {
    const value = record[property.name];
    if (!property.conditions.every((condition) => (condition.constraints[0] as (o: object, v: unknown) => boolean)(object, value))) continue;
    if (!passesChecks(object, value, property.checks) || (property.nested && !passesNested(value))) return false;
  }
  return true;
}

import { getMetadataStorage, ValidationArguments, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/**
 * class-validator's verdict on a DTO instance, without its per-call work: the metadata of each class
 * is looked up, filtered and grouped once, and a valid object allocates no error objects. It only
 * answers "valid"; anything else (an invalid object, a rule it does not compile) is left to
 * class-validator, which words the error. The rules (whitelist with forbidNonWhitelisted, IsDefined,
 * conditional, custom and nested validation) are applied as ValidationExecutor applies them.
 */

interface PropertyPlan {
  name: string;
  conditions: ValidationMetadata[];
  checks: ValidationMetadata[];
  nested: ValidationMetadata[];
}

interface ClassPlan {
  known: Set<string>;
  properties: PropertyPlan[];
}

/** A class whose rules are not compiled (async or promise validation): always left to class-validator. */
const UNSUPPORTED = null;

/** A DTO class, as class-validator keys its metadata. */
type Target = abstract new (...args: never[]) => unknown;

const plans = new Map<Target, ClassPlan | typeof UNSUPPORTED>();

function planFor(target: Target): ClassPlan | typeof UNSUPPORTED {
  let plan = plans.get(target);
  if (plan !== undefined) return plan;
  plan = compile(target);
  plans.set(target, plan);
  return plan;
}

function compile(target: Target): ClassPlan | typeof UNSUPPORTED {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(target, '', false, false);
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyPlan[] = [];
  for (const [name, all] of Object.entries(grouped)) {
    const of = (type: string) => all.filter((m) => m.type === type);
    // IS_DEFINED first, then the other custom rules, as ValidationExecutor.performValidations runs them.
    const checks = [...of(ValidationTypes.IS_DEFINED), ...of(ValidationTypes.CUSTOM_VALIDATION)];
    if (of(ValidationTypes.PROMISE_VALIDATION).length > 0) return UNSUPPORTED;
    for (const check of checks) {
      if (storage.getTargetValidatorConstraints(check.constraintCls).some((constraint) => constraint.async)) return UNSUPPORTED;
    }
    properties.push({ name, conditions: of(ValidationTypes.CONDITIONAL_VALIDATION), checks, nested: of(ValidationTypes.NESTED_VALIDATION) });
  }
  return { known: new Set(Object.keys(grouped)), properties };
}

const isCollection = (value: unknown): value is unknown[] | Set<unknown> | Map<unknown, unknown> =>
  Array.isArray(value) || value instanceof Set || value instanceof Map;

/** class-validator takes any truthy answer as valid; a promise is left to it. */
const isTrue = (answer: unknown): boolean => Boolean(answer) && typeof (answer as { then?: unknown }).then !== 'function';

function passesChecks(object: object, value: unknown, checks: ValidationMetadata[]): boolean {
  const storage = getMetadataStorage();
  for (const metadata of checks) {
    if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
    const args: ValidationArguments = {
      targetName: object.constructor?.name,
      property: metadata.propertyName,
      object,
      value,
      constraints: metadata.constraints,
    };
    for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
      const validate = (item: unknown) => isTrue(constraint.instance.validate(item, args));
      if (metadata.each && isCollection(value)) {
        for (const item of value instanceof Map ? value.values() : value) if (!validate(item)) return false;
      } else if (!validate(value)) {
        return false;
      }
    }
  }
  return true;
}

function passesNested(value: unknown, nested: ValidationMetadata[]): boolean {
  if (value === undefined) return true;
  for (let i = 0; i < nested.length; i++) {
    if (isCollection(value)) {
      for (const item of value instanceof Map ? value.values() : value) if (!passesNested(item, nested)) return false;
    } else if (!(value instanceof Object) || !passes(value)) {
      return false;
    }
  }
  return true;
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
    if (!passesChecks(object, value, property.checks) || !passesNested(value, property.nested)) return false;
  }
  return true;
}

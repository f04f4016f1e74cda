/** `compile` run once per class, its answer kept: the plans of DTO classes, which are few and live as long as the process. */
export function perClass<C, P>(compile: (target: C) => Exclude<P, undefined>): (target: C) => Exclude<P, undefined> {
  const plans = new Map<C, Exclude<P, undefined>>();
  return (target) => {
    const known = plans.get(target);
    if (known !== undefined) return known;
    const plan = compile(target);
    plans.set(target, plan);
    return plan;
  };
}

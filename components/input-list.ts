// A list argument that is either a list of inputs (what TypeScript callers and CleanRoom pass) or one
// Output of a whole list (what a component package's Construct delivers for a list that depends on
// other resources). Mapping keeps a plain list a plain list, so a preview still shows each element
// (and the policy pack checks each rule's fixed fields) even while the ids are unknown.
import * as pulumi from "@pulumi/pulumi";

export function mapInputList<T, U>(list: pulumi.Input<pulumi.Input<T>[]>, f: (item: pulumi.Input<T>) => U): U[] | pulumi.Output<pulumi.Unwrap<U>[]> {
  if (Array.isArray(list)) return list.map(f);
  return pulumi.output(list).apply((items) => items.map((item) => f(item as pulumi.Input<T>)) as pulumi.Input<pulumi.Unwrap<U>>[]) as pulumi.Output<pulumi.Unwrap<U>[]>;
}

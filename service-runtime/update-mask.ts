/**
 * Field-mask handling for update methods (AIP-134): the paths to change are
 * those in the mask, "*" for all, or, without a mask, the fields that are set.
 */
import type { FieldMask } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "./field-validation.js";

/**
 * Resolves the mask into a set of field names among `updatable`. Unknown paths
 * and paths of output-only fields are INVALID_ARGUMENT naming them.
 */
export function resolveUpdatePaths<F extends string>(
  mask: FieldMask | undefined,
  updatable: readonly F[],
  setFields: readonly F[],
): Set<F> {
  if (mask === undefined || mask.paths.length === 0) {
    if (setFields.length === 0) throw invalidArgument("update_mask", `nothing to update: set update_mask or some of ${updatable.join(", ")}`);
    return new Set(setFields);
  }
  if (mask.paths.length === 1 && mask.paths[0] === "*") return new Set(updatable);
  const unknown = mask.paths.filter((p) => !(updatable as readonly string[]).includes(p));
  if (unknown.length > 0) {
    throw invalidArgument("update_mask", `cannot update ${unknown.map((p) => JSON.stringify(p)).join(", ")}; updatable fields are ${updatable.join(", ")}`);
  }
  return new Set(mask.paths as F[]);
}

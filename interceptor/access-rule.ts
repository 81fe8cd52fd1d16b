/**
 * What a method requires of its caller, read from the proto method option
 * `(m2m.auth.v1.access)`. Deny by default: a method without the option is
 * refused unless its service is listed as public (health, reflection).
 */
import { getOption, hasOption, type DescMethod } from "@bufbuild/protobuf";
import { access } from "../gen/m2m/auth/v1/auth_pb.js";

export type AccessRequirement =
  | { kind: "public" }
  | { kind: "scopes"; requiredScopes: readonly string[] }
  | { kind: "undeclared" };

const cache = new WeakMap<DescMethod, AccessRequirement>();

/** The access requirement of a method; `publicServices` are fully qualified service names. */
export function accessRequirementOf(method: DescMethod, publicServices: ReadonlySet<string> = new Set()): AccessRequirement {
  let requirement = cache.get(method);
  if (requirement === undefined) {
    requirement = readRequirement(method, publicServices);
    cache.set(method, requirement);
  }
  return requirement;
}

function readRequirement(method: DescMethod, publicServices: ReadonlySet<string>): AccessRequirement {
  if (publicServices.has(method.parent.typeName)) return { kind: "public" };
  if (!hasOption(method, access)) return { kind: "undeclared" };
  const rule = getOption(method, access);
  if (rule.public) return { kind: "public" };
  return { kind: "scopes", requiredScopes: [...rule.requiredScopes] };
}

/**
 * Picks the StrategySpec validator for the schema the gateway serves:
 *  - the build-time precompiled validator (no eval: works under the gateway's CSP) when the
 *    served schema is the one it was compiled from (compared by canonical SHA-256);
 *  - otherwise ajv compiled at run time, if the page's CSP allows it;
 *  - otherwise the precompiled one, flagged as possibly out of date.
 */
import { canonicalJson } from "@/lib/canonical-json.mjs";
import type { SpecValidator } from "@/lib/spec-validate";

export interface LoadedValidator {
  validator: SpecValidator;
  source: "precompiled" | "runtime" | "precompiled-stale";
}

async function sha256(text: string): Promise<string> {
  const buf = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function loadSpecValidator(served: object | null): Promise<LoadedValidator> {
  const [pre, lib] = await Promise.all([import("@/lib/generated/strategy-spec-validator.mjs"), import("@/lib/spec-validate")]);
  const precompiled = lib.validatorFrom(pre.validate);
  if (!served) return { validator: precompiled, source: "precompiled" };
  const same = (await sha256(canonicalJson(served))) === pre.schemaHash;
  if (same) return { validator: precompiled, source: "precompiled" };
  try {
    return { validator: lib.createSpecValidator(served), source: "runtime" };
  } catch {
    return { validator: precompiled, source: "precompiled-stale" };
  }
}

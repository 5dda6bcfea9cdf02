/**
 * pydantic emits OpenAPI-style `discriminator` + `oneOf`; ajv cannot use the mapping. Rewrite each
 * into "kind is required and one of the tags; if kind == X then the X schema", which gives precise
 * errors instead of one failure per union member. Shared by the runtime validator and the
 * build-time precompiled one (scripts/gen-spec-validator.mjs).
 * @param {unknown} node
 * @returns {unknown}
 */
export function rewriteDiscriminators(node) {
  if (Array.isArray(node)) return node.map(rewriteDiscriminators);
  if (typeof node !== "object" || node === null) return node;
  /** @type {Record<string, unknown>} */
  const src = /** @type {Record<string, unknown>} */ (node);
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [k, v] of Object.entries(src)) out[k] = rewriteDiscriminators(v);
  const disc = /** @type {{propertyName?: string, mapping?: Record<string, string>} | undefined} */ (src.discriminator);
  if (disc && disc.propertyName && disc.mapping && Array.isArray(src.oneOf)) {
    const prop = disc.propertyName;
    const mapping = disc.mapping;
    const tags = Object.keys(mapping);
    delete out.discriminator;
    delete out.oneOf;
    out.type = "object";
    out.required = [prop];
    out.properties = { [prop]: { enum: tags } };
    out.allOf = tags.map((t) => ({
      if: { properties: { [prop]: { const: t } }, required: [prop] },
      then: { $ref: mapping[t] },
    }));
  }
  return out;
}

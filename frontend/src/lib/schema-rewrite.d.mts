export declare function rewriteDiscriminators(node: unknown): unknown;

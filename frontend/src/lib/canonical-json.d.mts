export declare function canonicalJson(v: unknown): string;

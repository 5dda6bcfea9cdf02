import type { ErrorObject } from "ajv";
export declare const schemaHash: string;
export interface PrecompiledValidate {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
export declare const validate: PrecompiledValidate;
export default validate;

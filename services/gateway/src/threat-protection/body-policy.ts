import { AppError, CommonErrors, type ErrorSpec } from '@sdl/errors';
import { GatewayErrors } from '../errors.js';
import { inspectJson, type JsonFault } from './json-inspection.js';

export interface BodyPolicyOptions {
  /** Media types a non-empty body may have (lower case, no parameters); `*` among them: any. */
  readonly contentTypes: readonly string[];
  /** JSON bodies (`application/json`, `*+json`) are inspected: depth limit, keys, numbers. */
  readonly jsonInspection: boolean;
  readonly jsonMaxDepth: number;
}

/** Throws the refusal of a body (415 or 400 with a stable code), before anything is proxied. */
export type BodyPolicy = (contentType: string | undefined, body: Buffer | undefined) => void;

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^(${TOKEN}/${TOKEN})$`);
const PARAMETER = new RegExp(`^(${TOKEN})=(${TOKEN}|"[^"\\\\]*")$`);

const FAULTS: Record<JsonFault, ErrorSpec> = {
  malformed: CommonErrors.malformedJson,
  too_deep: GatewayErrors.jsonTooDeep,
  duplicate_key: GatewayErrors.jsonDuplicateKey,
  forbidden_key: GatewayErrors.jsonForbiddenKey,
  number_out_of_range: GatewayErrors.jsonNumberOutOfRange,
};

/** `type/subtype; name=value` (RFC 9110 section 8.3.1) as the lower-cased type and its parameters, or undefined. */
export function parseMediaType(header: string): { type: string; params: Map<string, string> } | undefined {
  const [head = '', ...rest] = header.split(';');
  const type = MEDIA_TYPE.exec(head.trim())?.[1]?.toLowerCase();
  if (type === undefined) return undefined;
  const params = new Map<string, string>();
  for (const part of rest) {
    const match = PARAMETER.exec(part.trim());
    if (match === null) return undefined;
    params.set(match[1]!.toLowerCase(), match[2]!.replace(/^"|"$/g, '').toLowerCase());
  }
  return { type, params };
}

const isJson = (type: string): boolean => type === 'application/json' || type.endsWith('+json');

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * What the edge accepts as a request body, checked before it is proxied: a non-empty body needs a
 * well-formed content type among `contentTypes` (else 415 ERR_UNSUPPORTED_MEDIA_TYPE, the api's code too); a JSON
 * one must be UTF-8 (RFC 8259: no other charset, no BOM) and pass inspectJson (400 with the
 * fault's code). Empty bodies pass: the api says whether it wanted one.
 */
export function createBodyPolicy(options: BodyPolicyOptions): BodyPolicy {
  const any = options.contentTypes.includes('*');
  const accepted = new Set(options.contentTypes);
  const refuse = (): never => {
    throw new AppError(CommonErrors.unsupportedMediaType, {
      message: 'request bodies must be UTF-8 JSON (or another accepted media type)',
      details: { accepted: [...accepted] },
    });
  };
  return (contentType, body) => {
    if (body === undefined || body.length === 0) return;
    const media = contentType === undefined ? undefined : parseMediaType(contentType);
    if (media === undefined) return any ? undefined : refuse();
    if (!any && !accepted.has(media.type)) refuse();
    if (!isJson(media.type)) return;
    const charset = media.params.get('charset');
    if (charset !== undefined && charset !== 'utf-8') refuse();
    if (!options.jsonInspection) return;
    let text: string;
    try {
      text = decoder.decode(body);
    } catch {
      throw new AppError(GatewayErrors.jsonNotUtf8);
    }
    const fault = inspectJson(text, options.jsonMaxDepth);
    if (fault === 'too_deep') throw new AppError(FAULTS[fault], { details: { limit: options.jsonMaxDepth } });
    if (fault !== undefined) throw new AppError(FAULTS[fault]);
  };
}

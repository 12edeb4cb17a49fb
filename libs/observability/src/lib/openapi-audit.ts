import { type OpenAPIObject } from '@nestjs/swagger';

/** Statuses that carry no body (RFC 9110), so they need no response schema. */
const BODILESS = new Set(['204', '304']);

/**
 * The operations of an OpenAPI document with a success (2xx) response that
 * documents no schema for its body, as `METHOD /path status`: what the
 * service's unit test (and Schemathesis's response check) needs to be empty.
 */
export function responsesWithoutSchema(document: OpenAPIObject): string[] {
  const missing: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, unknown>)) {
      const responses = (operation as { responses?: Record<string, unknown> }).responses ?? {};
      for (const [status, response] of Object.entries(responses)) {
        if (!/^2\d\d$/.test(status) || BODILESS.has(status)) {
          continue;
        }
        const content = (response as { content?: Record<string, { schema?: unknown }> }).content;
        const media = Object.values(content ?? {});
        if (media.length === 0 || media.some((m) => m.schema === undefined)) {
          missing.push(`${method.toUpperCase()} ${path} ${status}`);
        }
      }
    }
  }
  return missing;
}

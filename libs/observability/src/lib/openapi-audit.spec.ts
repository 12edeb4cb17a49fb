import { type OpenAPIObject } from '@nestjs/swagger';
import { responsesWithoutSchema } from './openapi-audit';

const doc = (paths: Record<string, unknown>) =>
  ({ openapi: '3.0.0', info: { title: 't', version: '1' }, paths }) as OpenAPIObject;
const json = (schema?: object) => ({
  description: 'd',
  content: { 'application/json': schema === undefined ? {} : { schema } },
});

describe('responsesWithoutSchema', () => {
  it('names every success response without a body schema, and nothing else', () => {
    const document = doc({
      '/v1/a': {
        get: { responses: { '200': { description: 'no content' }, '404': { description: 'x' } } },
        post: { responses: { '201': json() } },
      },
      '/v1/a/{id}': {
        get: { responses: { '200': json({ type: 'object' }) } },
        put: { responses: { '202': json({ type: 'object' }), '400': { description: 'x' } } },
        delete: { responses: { '204': { description: 'gone' } } },
      },
      '/v1/b': {
        get: {
          responses: {
            '200': { description: 'd', content: { 'text/plain': { schema: { type: 'string' } } } },
            '304': { description: 'not modified' },
          },
        },
      },
    });
    expect(responsesWithoutSchema(document)).toEqual(['GET /v1/a 200', 'POST /v1/a 201']);
  });
});

import { responsesWithoutSchema } from '@ward/observability';
import { openApiDocumentOf } from '@ward/testing';
import { AppModule } from '../app.module';
import { loadResponseConfig } from '../config/response.config';

describe('response-engine OpenAPI document', () => {
  it('documents the body schema of every success response (what Schemathesis checks answers against)', async () => {
    const document = await openApiDocumentOf(AppModule.register(loadResponseConfig({})));
    expect(Object.keys(document.paths).length).toBeGreaterThan(0);
    expect(responsesWithoutSchema(document)).toEqual([]);
  });
});

import {
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Optional,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from './auth/auth.decorators';
import { AUTH_OPTIONS, type AuthOptions } from './auth/auth.options';
import { bearerToken, sameSecret } from './auth/secrets';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';

/** Probes stay open; /metrics needs METRICS_TOKEN as a bearer token when one is set. */
@ApiExcludeController()
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly readiness: ReadinessService,
    @Optional() @Inject(AUTH_OPTIONS) private readonly auth?: AuthOptions,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.readiness.report();
    await reply.status(report.ready ? 200 : 503).send(report);
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metricsText(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const expected = this.auth?.metricsToken;
    if (expected !== undefined) {
      const token = bearerToken(request.headers.authorization);
      if (token === undefined || !sameSecret(token, expected)) {
        void reply.header('WWW-Authenticate', 'Bearer realm="ward-metrics"');
        throw new UnauthorizedException('metrics need the METRICS_TOKEN bearer token');
      }
    }
    await reply.header('Content-Type', this.metrics.contentType).send(await this.metrics.render());
  }
}

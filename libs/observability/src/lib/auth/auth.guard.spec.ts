import 'reflect-metadata';
import {
  type ExecutionContext,
  ForbiddenException,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { MetricsService } from '../metrics.service';
import { ACCESS_RULE, type AccessRule, type AuthenticatedRequest } from './auth.decorators';
import { WardAuthGuard } from './auth.guard';
import { type ApiKeyLookup, type AuthOptions, type VerifiedApiKey } from './auth.options';
import { type OidcVerifier } from './oidc.verifier';
import { type WardRole } from './principal';

const ADMIN_TOKEN = 'break-glass-token-0123456789';
const KEYS: Record<string, VerifiedApiKey> = {
  ward_aaaaaaaa_analyst: { id: 'k1', tenantId: 'acme', name: 'soc', roles: ['analyst'] },
  ward_aaaaaaaa_approver: { id: 'k2', tenantId: 'acme', name: 'lead', roles: ['approver'] },
  ward_bbbbbbbb_admin: { id: 'k3', tenantId: 'globex', name: 'ops', roles: ['admin'] },
  ward_aaaaaaaa_ingest: { id: 'k4', tenantId: 'acme', name: 'gw', roles: ['ingest'] },
};

function makeSut(options: Partial<AuthOptions> = {}, oidc?: Pick<OidcVerifier, 'verify'>) {
  const keys: ApiKeyLookup = { verify: (key) => Promise.resolve(KEYS[key] ?? null) };
  const metrics = new MetricsService('test');
  const sut = new WardAuthGuard(
    new Reflector(),
    {
      adminToken: ADMIN_TOKEN,
      oidc: undefined,
      metricsToken: undefined,
      keyCacheMs: 0,
      ...options,
    },
    keys,
    metrics,
    oidc as OidcVerifier | undefined,
  );
  return { sut, metrics };
}

function call(
  rule: AccessRule | undefined,
  headers: Record<string, string>,
  params: Record<string, string> = {},
) {
  const handler = () => undefined;
  if (rule !== undefined) {
    Reflect.defineMetadata(ACCESS_RULE, rule, handler);
  }
  const request = { headers, params } as unknown as AuthenticatedRequest;
  const reply = { header: jest.fn() };
  const context = {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => class Controller {},
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { context, request, reply };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const role = (r: WardRole): AccessRule => ({ role: r });

describe(WardAuthGuard.name, () => {
  it('lets a public route through without a credential', async () => {
    const { sut } = makeSut();
    await expect(sut.canActivate(call({ public: true }, {}).context)).resolves.toBe(true);
  });

  it('answers 401 with WWW-Authenticate without a credential, or with an unknown one', async () => {
    const { sut, metrics } = makeSut();
    const missing = call(role('analyst'), {});
    await expect(sut.canActivate(missing.context)).rejects.toThrow(UnauthorizedException);
    expect(missing.reply.header).toHaveBeenCalledWith('WWW-Authenticate', 'Bearer realm="ward"');
    await expect(
      sut.canActivate(call(role('analyst'), bearer('ward_zzzzzzzz_unknown')).context),
    ).rejects.toThrow(UnauthorizedException);
    await expect(
      sut.canActivate(call(role('analyst'), { authorization: 'Basic abc' }).context),
    ).rejects.toThrow(UnauthorizedException);
    await expect(
      sut.canActivate(call(role('analyst'), bearer(`${ADMIN_TOKEN}x`)).context),
    ).rejects.toThrow(UnauthorizedException);
    expect(await metrics.render()).toMatch(/ward_http_auth_failures_total\{reason="invalid".*\} 3/);
  });

  it('treats the admin token as admin of every tenant', async () => {
    const { sut } = makeSut();
    const { context, request } = call({ role: 'admin', platform: true }, bearer(ADMIN_TOKEN), {
      tenantId: 'anyone',
    });
    await expect(sut.canActivate(context)).resolves.toBe(true);
    expect(request.wardPrincipal).toMatchObject({ kind: 'admin-token', tenantId: null });
  });

  it('has no admin token when none is configured', async () => {
    const { sut } = makeSut({ adminToken: undefined });
    await expect(
      sut.canActivate(call(role('analyst'), bearer(ADMIN_TOKEN)).context),
    ).rejects.toThrow(UnauthorizedException);
  });

  it('binds an API key to its tenant: another tenant is 404 even before the role is checked', async () => {
    const { sut } = makeSut();
    const own = call(role('analyst'), bearer('ward_aaaaaaaa_analyst'), { tenantId: 'acme' });
    await expect(sut.canActivate(own.context)).resolves.toBe(true);
    expect(own.request.wardPrincipal).toMatchObject({
      kind: 'api-key',
      tenantId: 'acme',
      subject: 'api-key:soc (k1)',
    });
    await expect(
      sut.canActivate(
        call(role('analyst'), bearer('ward_aaaaaaaa_analyst'), { tenantId: 'globex' }).context,
      ),
    ).rejects.toThrow(NotFoundException);
    await expect(
      sut.canActivate(
        call(role('admin'), { 'x-api-key': 'ward_aaaaaaaa_ingest' }, { tenantId: 'globex' })
          .context,
      ),
    ).rejects.toThrow(NotFoundException);
  });

  it.each<[string, WardRole, boolean]>([
    ['ward_aaaaaaaa_analyst', 'analyst', true],
    ['ward_aaaaaaaa_analyst', 'approver', false],
    ['ward_aaaaaaaa_approver', 'approver', true],
    ['ward_aaaaaaaa_approver', 'analyst', true],
    ['ward_aaaaaaaa_approver', 'admin', false],
    ['ward_aaaaaaaa_ingest', 'analyst', false],
    ['ward_aaaaaaaa_ingest', 'ingest', true],
    ['ward_bbbbbbbb_admin', 'approver', true],
    ['ward_bbbbbbbb_admin', 'ingest', true],
  ])('key %s on a route needing %s: allowed %s', async (key, needed, allowed) => {
    const { sut } = makeSut();
    const result = sut.canActivate(call(role(needed), bearer(key)).context);
    if (allowed) {
      await expect(result).resolves.toBe(true);
    } else {
      await expect(result).rejects.toThrow(ForbiddenException);
    }
  });

  it('needs the admin role on a route without a rule, and the admin token on a platform route', async () => {
    const { sut } = makeSut();
    await expect(
      sut.canActivate(call(undefined, bearer('ward_aaaaaaaa_approver')).context),
    ).rejects.toThrow(ForbiddenException);
    await expect(
      sut.canActivate(call(undefined, bearer('ward_bbbbbbbb_admin')).context),
    ).resolves.toBe(true);
    await expect(
      sut.canActivate(
        call({ role: 'admin', platform: true }, bearer('ward_bbbbbbbb_admin')).context,
      ),
    ).rejects.toThrow(ForbiddenException);
  });

  it('accepts an OIDC token when configured and maps its claims to a principal', async () => {
    const verify = jest.fn(() =>
      Promise.resolve({ subject: 'oidc:alice', tenantId: 'acme', roles: ['approver'] as const }),
    );
    const { sut } = makeSut({}, { verify });
    const { context, request } = call(role('approver'), bearer('aaa.bbb.ccc'), {
      tenantId: 'acme',
    });
    await expect(sut.canActivate(context)).resolves.toBe(true);
    expect(request.wardPrincipal).toMatchObject({ kind: 'oidc', subject: 'oidc:alice' });
    expect(verify).toHaveBeenCalledWith('aaa.bbb.ccc');
  });

  it('refuses a JWT when OIDC is off', async () => {
    const { sut } = makeSut();
    await expect(
      sut.canActivate(call(role('analyst'), bearer('aaa.bbb.ccc')).context),
    ).rejects.toThrow(UnauthorizedException);
  });
});

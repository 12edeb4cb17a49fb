import { type DynamicModule, Global, Module, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { API_KEY_LOOKUP, type ApiKeyLookup, AUTH_OPTIONS, type AuthOptions } from './auth.options';
import { WardAuthGuard } from './auth.guard';

export interface AuthModuleOptions {
  readonly useFactory: (...deps: never[]) => AuthOptions;
  readonly inject?: readonly (string | symbol | Type)[];
  /** Where API keys are looked up (an injectable class, e.g. @ward/persistence's ApiKeyVerifier). */
  readonly apiKeys: Type<ApiKeyLookup>;
}

/**
 * Installs WardAuthGuard for every route of the service. Imported once, by
 * the service's root module; exports the options and the key lookup, so
 * routes that manage keys can drop a revoked one from its cache.
 */
@Global()
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        {
          provide: AUTH_OPTIONS,
          useFactory: options.useFactory,
          inject: [...(options.inject ?? [])],
        },
        options.apiKeys,
        { provide: API_KEY_LOOKUP, useExisting: options.apiKeys },
        { provide: APP_GUARD, useClass: WardAuthGuard },
      ],
      exports: [AUTH_OPTIONS, API_KEY_LOOKUP, options.apiKeys],
    };
  }
}

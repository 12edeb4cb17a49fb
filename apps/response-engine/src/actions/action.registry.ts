import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AgentControl, agentKey, type Incident, type Tier } from '@ward/contracts';
import { MessageProducer, TopicAdmin } from '@ward/messaging';
import { RunRepository } from '@ward/persistence';
import {
  BUILTIN_ACTIONS,
  checkDestination,
  outboundFetch,
  OutboundRefusedError,
  formatCef,
  formatHec,
  formatLeef,
  formatSyslog,
  octetFrame,
  signWebhook,
  SIGNATURE_HEADER,
} from '@ward/playbooks';
import { lookup } from 'node:dns/promises';
import { createSocket } from 'node:dgram';
import { isIP, connect as netConnect } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { type Destination, RESPONSE_CONFIG, type ResponseConfig } from '../config/response.config';

/** A destination's answer is read only to report its status; this bounds it. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

async function resolveAll(host: string): Promise<readonly string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}

export interface ActionContext {
  readonly runId: string;
  readonly stepId: string;
  readonly idempotencyKey: string;
  readonly tenantId: string;
  readonly incident: Incident;
  readonly dryRun: boolean;
  readonly attempt: number;
  readonly timeoutMs: number;
}

/** One action plugin: does its work and returns what later steps may reference as output. */
export interface ResponseActionPlugin {
  readonly name: string;
  execute(parameters: Record<string, unknown>, context: ActionContext): Promise<unknown>;
}

/** A failure worth retrying (network, 5xx) versus one that will not get better. */
export class ActionError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** Set when the step's destination is disabled: the delivery is parked, not attempted. */
    readonly parkedAt?: string,
  ) {
    super(message);
  }
}

/** The MSG of a SIEM syslog record: plain text, or a CEF or LEEF 2.0 event with its escaping. */
function siemMessage(format: 'text' | 'cef' | 'leef', summary: string, c: ActionContext): string {
  if (format === 'text') {
    return summary;
  }
  const i = c.incident;
  const signature = i.detectors[0] ?? 'incident';
  const fields = {
    incident: i.incidentId,
    run: c.runId,
    step: c.stepId,
    tenant: c.tenantId,
    agents: i.agents.join(','),
    src: i.iocs.ips?.[0],
  };
  if (format === 'cef') {
    return formatCef({
      vendor: 'Ward',
      product: 'Ward',
      version: '1',
      signatureId: signature,
      name: summary,
      severity: { critical: 10, high: 8, medium: 5, low: 3 }[i.severity],
      extension: {
        externalId: fields.incident,
        act: fields.step,
        msg: summary,
        src: fields.src,
        cs1Label: 'run',
        cs1: fields.run,
        cs2Label: 'tenant',
        cs2: fields.tenant,
        cs3Label: 'agents',
        cs3: fields.agents,
      },
    });
  }
  return formatLeef({
    vendor: 'Ward',
    product: 'Ward',
    version: '1',
    eventId: signature,
    attributes: {
      sev: { critical: 10, high: 8, medium: 5, low: 3 }[i.severity],
      incident: fields.incident,
      run: fields.run,
      step: fields.step,
      tenant: fields.tenant,
      agents: fields.agents,
      src: fields.src,
      msg: summary,
    },
  });
}

/** A parameter as text: strings as they are, anything else as JSON. */
const text = (v: unknown, fallback: string): string =>
  v === undefined || v === null ? fallback : typeof v === 'string' ? v : JSON.stringify(v);

const list = (v: unknown): string[] =>
  v === undefined || v === null
    ? []
    : (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');

/**
 * The built-in actions behind one interface: tier, quarantine and rate
 * limit through ward.agent-control.v1; indicator blocks and notes recorded as
 * outputs; webhook, Slack and credential revocation as signed HTTP POSTs;
 * Splunk HEC and RFC 5424 syslog for SIEMs. Every network destination is
 * named in RESPONSE_DESTINATIONS_FILE and checked against the outbound policy.
 */
@Injectable()
export class ActionRegistry {
  private readonly logger = new Logger(ActionRegistry.name);
  private readonly plugins = new Map<string, ResponseActionPlugin>();

  constructor(
    @Inject(RESPONSE_CONFIG) private readonly config: ResponseConfig,
    private readonly producer: MessageProducer,
    private readonly admin: TopicAdmin,
    private readonly repo: RunRepository,
  ) {
    const control = (
      name: string,
      tier: (p: Record<string, unknown>) => number,
      limit?: boolean,
    ) => ({
      name,
      execute: (p: Record<string, unknown>, c: ActionContext) => this.control(p, c, tier(p), limit),
    });
    this.register(control('set_tier', (p) => Number(p.tier)));
    this.register(control('quarantine', () => 4));
    this.register(control('rate_limit', (p) => Number(p.tier ?? 2), true));
    this.register({
      name: 'annotate',
      execute: (p) => Promise.resolve({ note: text(p.note, '') }),
    });
    this.register({
      name: 'block_indicator',
      execute: (p) => {
        const iocs = (p.indicators ?? {}) as Record<string, unknown>;
        return Promise.resolve({
          blocked: {
            ips: list(iocs.ips),
            domains: list(iocs.domains),
            urls: list(iocs.urls),
            hashes: list(iocs.hashes),
          },
          reason: p.reason ?? null,
        });
      },
    });
    for (const name of ['webhook', 'slack', 'revoke_credentials']) {
      this.register({ name, execute: (p, c) => this.http(name, p, c) });
    }
    this.register({ name: 'siem_splunk_hec', execute: (p, c) => this.hec(p, c) });
    this.register({ name: 'siem_syslog', execute: (p, c) => this.syslog(p, c) });
    const missing = BUILTIN_ACTIONS.filter((a) => !this.plugins.has(a));
    if (missing.length > 0) {
      throw new Error(`actions without a plugin: ${missing.join(', ')}`);
    }
  }

  register(plugin: ResponseActionPlugin): void {
    this.plugins.set(plugin.name, plugin);
  }

  get names(): ReadonlySet<string> {
    return new Set(this.plugins.keys());
  }

  async execute(action: string, parameters: unknown, context: ActionContext): Promise<unknown> {
    const plugin = this.plugins.get(action);
    if (plugin === undefined) {
      throw new ActionError(`no action ${action}`, false);
    }
    const params = (parameters ?? {}) as Record<string, unknown>;
    if (context.dryRun) {
      return { dryRun: true, action, parameters: params };
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        plugin.execute(params, context),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new ActionError(`timed out after ${context.timeoutMs} ms`, true)),
            context.timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async control(
    p: Record<string, unknown>,
    c: ActionContext,
    tier: number,
    rateLimited = false,
  ): Promise<unknown> {
    if (![1, 2, 3, 4].includes(tier)) {
      throw new ActionError(`tier must be 1..4 (got ${String(p.tier)})`, false);
    }
    const agents = list(p.agents);
    if (agents.length === 0) {
      throw new ActionError('no agents to act on', false);
    }
    const perMinute = rateLimited ? Number(p.callsPerMinute) : undefined;
    if (rateLimited && (!Number.isInteger(perMinute) || perMinute! < 0)) {
      throw new ActionError('callsPerMinute must be a non-negative integer', false);
    }
    const records: AgentControl[] = agents.map((agentId) => ({
      schemaVersion: 1,
      tenantId: c.tenantId,
      agentId,
      tier: tier as Tier,
      behaviorTier: tier as Tier,
      configuredTier: tier as Tier,
      quarantined: tier === 4,
      ...(perMinute !== undefined && { rateLimitPerMinute: perMinute }),
      source: 'response-engine',
      actor: `playbook run ${c.runId}`,
      reason: text(p.reason, `step ${c.stepId} of run ${c.runId}`).slice(0, 500),
      changedAt: new Date().toISOString(),
    }));
    await this.producer.send(
      this.admin.topics.agentControl.name,
      records.map((r) => ({ key: agentKey(r.tenantId, r.agentId), value: r })),
    );
    return { agents, tier, ...(perMinute !== undefined && { callsPerMinute: perMinute }) };
  }

  private async destination(
    p: Record<string, unknown>,
    kinds: readonly string[],
  ): Promise<{ destination: Destination; addresses: readonly string[] }> {
    const name = text(p.destination, '');
    const destination = this.config.destinations.get(name);
    if (destination === undefined || !kinds.includes(destination.kind)) {
      throw new ActionError(
        `no ${kinds.join(' or ')} destination named ${JSON.stringify(name)}`,
        false,
      );
    }
    const host =
      destination.url !== undefined ? new URL(destination.url).hostname : destination.host!;
    const check = await checkDestination(host, this.config.outbound, resolveAll);
    if (!check.ok) {
      throw new ActionError(check.reason, false);
    }
    if (await this.repo.destinationDisabled(name)) {
      throw new ActionError(
        `destination ${name} is disabled after repeated failures; the delivery is parked`,
        false,
        name,
      );
    }
    return { destination, addresses: check.addresses };
  }

  /** Counts the outcome of one delivery towards the destination's health. */
  private async deliver<T>(destination: Destination, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      await this.repo.destinationSucceeded(destination.name);
      return result;
    } catch (error) {
      const message = (error as Error).message;
      const disabled = await this.repo.destinationFailed(
        destination.name,
        message,
        this.config.destinationFailureLimit,
      );
      if (disabled) {
        this.logger.warn(
          `destination ${destination.name} disabled after ${this.config.destinationFailureLimit} consecutive failures (last: ${message})`,
        );
      }
      throw error;
    }
  }

  private async post(
    destination: Destination,
    body: string,
    headers: Record<string, string>,
    c: ActionContext,
  ): Promise<unknown> {
    return this.deliver(destination, () => this.postOnce(destination, body, headers, c));
  }

  private async postOnce(
    destination: Destination,
    body: string,
    headers: Record<string, string>,
    c: ActionContext,
  ): Promise<unknown> {
    // Checked again at every hop and pinned to the checked addresses (libs/playbooks outbound-http).
    const res = await outboundFetch(
      destination.url!,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': c.idempotencyKey,
          ...headers,
        },
        body,
        timeoutMs: c.timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
      },
      this.config.outbound,
      resolveAll,
    ).catch((error: unknown) => {
      throw new ActionError(
        `${destination.name}: ${(error as Error).message}`,
        !(error instanceof OutboundRefusedError),
      );
    });
    if (res.status < 200 || res.status >= 300) {
      throw new ActionError(
        `${destination.name} answered ${res.status}`,
        res.status >= 500 || res.status === 429,
      );
    }
    return { destination: destination.name, status: res.status };
  }

  private async http(name: string, p: Record<string, unknown>, c: ActionContext): Promise<unknown> {
    const kinds = name === 'slack' ? ['slack'] : ['webhook'];
    const { destination } = await this.destination(p, kinds);
    const payload =
      name === 'slack'
        ? { text: text(p.text, c.incident.title) }
        : {
            action: name,
            runId: c.runId,
            step: c.stepId,
            tenantId: c.tenantId,
            incidentId: c.incident.incidentId,
            parameters: p,
          };
    const body = JSON.stringify(payload);
    const headers: Record<string, string> =
      destination.secret === undefined
        ? {}
        : { [SIGNATURE_HEADER]: signWebhook(destination.secret, body, Date.now()) };
    return this.post(destination, body, headers, c);
  }

  private async hec(p: Record<string, unknown>, c: ActionContext): Promise<unknown> {
    const { destination } = await this.destination(p, ['splunk_hec']);
    const body = formatHec({
      time: new Date(),
      host: hostname(),
      source: 'ward-response-engine',
      sourcetype: 'ward:incident',
      event: p.event ?? c.incident,
    });
    return this.post(
      destination,
      body,
      destination.secret === undefined ? {} : { authorization: `Splunk ${destination.secret}` },
      c,
    );
  }

  private async syslog(p: Record<string, unknown>, c: ActionContext): Promise<unknown> {
    const format = p.format ?? 'text';
    if (format !== 'text' && format !== 'cef' && format !== 'leef') {
      throw new ActionError('format must be text, cef or leef', false);
    }
    const { destination, addresses } = await this.destination(p, ['syslog']);
    const severity = { critical: 2, high: 3, medium: 4, low: 5 }[c.incident.severity];
    const summary = text(p.message, c.incident.title);
    const message = formatSyslog({
      facility: 13,
      severity,
      timestamp: new Date(),
      hostname: hostname(),
      appName: 'ward',
      msgId: 'RESPONSE',
      structuredData: {
        'ward@32473': {
          incident: c.incident.incidentId,
          run: c.runId,
          step: c.stepId,
          tenant: c.tenantId,
        },
      },
      // One line: a receiver that splits on line breaks must not see forged records.
      message: siemMessage(format, summary, c).replace(/\p{Cc}/gu, ' '),
    });
    const { transport } = destination as Required<Destination>;
    // Connects to the address that was checked, not to a second resolution of the name.
    await this.deliver(destination, () =>
      this.sendSyslog(destination, addresses, message, c.timeoutMs),
    );
    return { destination: destination.name, transport, bytes: Buffer.byteLength(message) };
  }

  /** Sends one message, trying each checked address in turn for TCP and TLS. */
  private async sendSyslog(
    destination: Destination,
    addresses: readonly string[],
    message: string,
    timeoutMs: number,
  ): Promise<void> {
    let last: Error | undefined;
    for (const address of destination.transport === 'udp' ? addresses.slice(0, 1) : addresses) {
      try {
        await this.sendSyslogTo(destination, address, message, timeoutMs);
        return;
      } catch (error) {
        last = error as Error;
      }
    }
    throw new ActionError(`${destination.name}: ${last?.message ?? 'no address'}`, true);
  }

  private sendSyslogTo(
    destination: Destination,
    address: string,
    message: string,
    timeoutMs: number,
  ): Promise<void> {
    const { host, port, transport } = destination as Required<Destination>;
    return new Promise<void>((resolve, reject) => {
      if (transport === 'udp') {
        const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
        socket.send(Buffer.from(message, 'utf8'), port, address, (error) => {
          socket.close();
          if (error) {
            reject(error);
          } else {
            resolve();
          }
        });
        return;
      }
      const socket =
        transport === 'tls'
          ? tlsConnect({
              host: address,
              port,
              // The certificate is checked against the configured name.
              ...(isIP(host) === 0 && { servername: host }),
              ...(destination.ca !== undefined && { ca: destination.ca }),
            })
          : netConnect({ host: address, port });
      socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timed out')));
      socket.once('error', reject);
      socket.once(transport === 'tls' ? 'secureConnect' : 'connect', () => {
        socket.end(octetFrame(message), () => resolve());
      });
    });
  }
}

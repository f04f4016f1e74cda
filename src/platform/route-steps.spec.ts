import 'reflect-metadata';
import {
  BadRequestException,
  Body,
  CallHandler,
  CanActivate,
  Controller,
  createParamDecorator,
  ExecutionContext,
  Get,
  Header,
  HttpCode,
  INestApplication,
  Injectable,
  NestInterceptor,
  Param,
  PipeTransform,
  Post,
  Query,
  Redirect,
  Res,
  StreamableFile,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { IsInt, IsString } from 'class-validator';
import { map, Observable, of } from 'rxjs';
import request from 'supertest';
import { ApiValidationPipe } from '../common/errors/validation.pipe';
import { takeRouteStepsAtOnce } from './route-steps';

/** What ran, in order, for the request in flight. */
let calls: string[] = [];

type Headers = Record<string, string | undefined>;
const headersOf = (context: ExecutionContext): Headers => context.switchToHttp().getRequest<{ headers: Headers }>().headers;

@Injectable()
class HeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    calls.push('guard');
    // Anything after the steps taken at once runs after this.
    queueMicrotask(() => calls.push('microtask'));
    const headers = headersOf(context);
    if (headers['x-throw'] !== undefined) throw new BadRequestException('refused by the guard');
    return headers['x-deny'] === undefined;
  }
}

@Injectable()
class AsyncGuard implements CanActivate {
  canActivate(): Promise<boolean> {
    calls.push('async guard');
    return Promise.resolve(true);
  }
}

@Injectable()
class ObservableGuard implements CanActivate {
  canActivate(context: ExecutionContext): Observable<boolean> {
    return of(headersOf(context)['x-allow'] !== undefined);
  }
}

class Recording implements PipeTransform {
  constructor(private readonly name: string) {}
  transform(value: unknown): unknown {
    calls.push(this.name);
    return value;
  }
}

class RejectBad implements PipeTransform {
  transform(value: unknown): unknown {
    if (value === 'bad') throw new BadRequestException('bad, at once');
    return value;
  }
}

class AsyncRejectWorse implements PipeTransform {
  async transform(value: unknown): Promise<unknown> {
    if (value === 'worse') throw new BadRequestException('worse, later');
    return value;
  }
}

class AsyncUpper implements PipeTransform {
  transform(value: unknown): Promise<string> {
    return Promise.resolve(String(value).toUpperCase());
  }
}

@Injectable()
class Wrap implements NestInterceptor {
  intercept(_: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((value: unknown) => ({ wrapped: value })));
  }
}

const Who = createParamDecorator((_: unknown, context: ExecutionContext) => headersOf(context)['x-who'] ?? 'nobody');

class Item {
  @IsString()
  name!: string;

  @IsInt()
  n!: number;
}

@Controller('t')
@UseGuards(HeaderGuard)
class StepsController {
  @Post('plain/:id')
  plain(
    @Who(new Recording('who')) who: string,
    @Param('id', new Recording('id 1'), new Recording('id 2')) id: string,
    @Body(new Recording('body')) body: Item,
  ) {
    calls.push('handler');
    return { who, id, body, isItem: body instanceof Item };
  }

  @Post('mixed/:id')
  @HttpCode(201)
  @Header('x-route', 'mixed')
  mixed(@Who() who: string, @Param('id', RejectBad, AsyncRejectWorse) id: string, @Body() body: Item, @Query('q', AsyncUpper) q: string) {
    return Promise.resolve({ who, id, body, q });
  }

  @Get('throws')
  throws(): never {
    throw new BadRequestException('thrown by the handler');
  }

  @Get('rejects')
  async rejects(): Promise<never> {
    await Promise.resolve();
    throw new BadRequestException('rejected by the handler');
  }

  @Get('async-guard')
  @UseGuards(AsyncGuard, ObservableGuard)
  asyncGuard(): string {
    return 'let in';
  }

  @Get('observable')
  observable(): Observable<{ n: number }> {
    return of({ n: 1 });
  }

  @Get('file')
  file(): StreamableFile {
    return new StreamableFile(Buffer.from('the bytes of a file'), { type: 'text/plain' });
  }

  @Get('redirect')
  @Redirect('/t/observable', 302)
  redirect(): void {}

  @Get('own-response')
  ownResponse(@Res() res: { status(code: number): { send(body: string): void } }): void {
    res.status(203).send('answered by the handler');
  }

  @Get('passthrough')
  passthrough(@Res({ passthrough: true }) res: { header(name: string, value: string): void }): { through: boolean } {
    res.header('x-route', 'passthrough');
    return { through: true };
  }

  @Get('text')
  text(): string {
    return 'a string';
  }

  @Get('nothing')
  nothing(): void {}

  @Get('intercepted')
  @UseInterceptors(Wrap)
  intercepted(@Query('q', AsyncUpper) q: string): { q: string } {
    return { q };
  }
}

type Platform = 'fastify' | 'express';

async function appOn(platform: Platform): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    controllers: [StepsController],
    providers: [{ provide: APP_PIPE, useClass: ApiValidationPipe }],
  }).compile();
  if (platform === 'express') return moduleRef.createNestApplication({ logger: false }).init();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

interface Case {
  method: 'get' | 'post';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

const CASES: Case[] = [
  { method: 'post', path: '/t/plain/a', headers: { 'x-who': 'me' }, body: { name: 'x', n: 1 } },
  { method: 'post', path: '/t/plain/a', body: { name: 1, n: 1 } },
  { method: 'post', path: '/t/plain/a', body: { name: 'x', n: 1, extra: true } },
  { method: 'post', path: '/t/plain/a', body: [1, 2] },
  { method: 'post', path: '/t/plain/a', headers: { 'x-deny': '1' }, body: { name: 'x', n: 1 } },
  { method: 'post', path: '/t/plain/a', headers: { 'x-throw': '1' }, body: { name: 'x', n: 1 } },
  { method: 'post', path: '/t/mixed/a?q=up', body: { name: 'x', n: 2 } },
  { method: 'post', path: '/t/mixed/bad?q=up', body: { name: 'x', n: 2 } },
  { method: 'post', path: '/t/mixed/worse?q=up', body: { name: 'x', n: 2 } },
  { method: 'post', path: '/t/mixed/bad?q=up', body: { name: 2 } },
  { method: 'post', path: '/t/mixed/worse?q=up', body: { name: 2 } },
  { method: 'post', path: '/t/mixed/bad', body: 'not json' },
  { method: 'post', path: '/t/mixed/worse', body: [1] },
  { method: 'get', path: '/t/throws' },
  { method: 'get', path: '/t/rejects' },
  { method: 'get', path: '/t/async-guard' },
  { method: 'get', path: '/t/async-guard', headers: { 'x-allow': '1' } },
  { method: 'get', path: '/t/intercepted?q=abc' },
  { method: 'get', path: '/t/observable' },
  { method: 'get', path: '/t/file' },
  { method: 'get', path: '/t/redirect' },
  { method: 'get', path: '/t/own-response' },
  { method: 'get', path: '/t/passthrough' },
  { method: 'get', path: '/t/text' },
  { method: 'get', path: '/t/nothing' },
];

interface Answer {
  status: number;
  body: unknown;
  text: string;
  type: string | undefined;
  location: string | undefined;
  route: string | undefined;
  calls: string[];
}

async function answer(app: INestApplication, c: Case): Promise<Answer> {
  calls = [];
  let call = request(app.getHttpServer())[c.method](c.path);
  for (const [name, value] of Object.entries(c.headers ?? {})) call = call.set(name, value);
  if (typeof c.body === 'string') call = call.set('content-type', 'application/json').send(c.body);
  else if (c.body !== undefined) call = call.send(c.body as object);
  const response = await call;
  const header = (name: string) => response.headers[name] as string | undefined;
  return {
    status: response.status,
    body: response.body as unknown,
    text: Buffer.isBuffer(response.body) ? response.body.toString() : response.text,
    type: header('content-type'),
    location: header('location'),
    route: header('x-route'),
    calls,
  };
}

const PLATFORMS: Platform[] = ['fastify', 'express'];
const apps = {} as Record<Platform, { nest: INestApplication; steps: INestApplication }>;

beforeAll(async () => {
  // Nest's own steps first, on both platforms: every app built after the install takes the steps at once.
  const nest = { fastify: await appOn('fastify'), express: await appOn('express') };
  takeRouteStepsAtOnce();
  for (const platform of PLATFORMS) apps[platform] = { nest: nest[platform], steps: await appOn(platform) };
});

afterAll(async () => {
  for (const platform of PLATFORMS) {
    await apps[platform].nest.close();
    await apps[platform].steps.close();
  }
});

describe.each(PLATFORMS)('route steps taken at once (%s)', (platform) => {
  let nest: INestApplication;
  let steps: INestApplication;

  beforeAll(() => ({ nest, steps } = apps[platform]));

  it.each(CASES.map((c) => [`${c.method.toUpperCase()} ${c.path} ${JSON.stringify(c.headers ?? {})} ${JSON.stringify(c.body) ?? ''}`, c] as const))(
    'answers %s as Nest does',
    async (_, c) => {
      const expected = await answer(nest, c);
      const actual = await answer(steps, c);
      expect({ ...actual, calls: [] }).toEqual({ ...expected, calls: [] });
    },
  );

  it('runs the guard, then every pipe stage by stage in Nest order, then the handler, before anything else gets a turn', async () => {
    const c = CASES[0];
    const expected = await answer(nest, c);
    const actual = await answer(steps, c);
    expect(actual.body).toEqual({ who: 'me', id: 'a', body: { name: 'x', n: 1 }, isItem: true });
    const withoutTurns = (list: string[]) => list.filter((call) => call !== 'microtask');
    expect(withoutTurns(actual.calls)).toEqual(withoutTurns(expected.calls));
    expect(withoutTurns(actual.calls)).toEqual(['guard', 'body', 'id 1', 'who', 'id 2', 'handler']);
    expect(actual.calls.indexOf('microtask')).toBeGreaterThan(actual.calls.indexOf('handler'));
    expect(expected.calls.indexOf('microtask')).toBeLessThan(expected.calls.indexOf('handler'));
  });

  it('answers the status and headers of the route (HttpCode, Header) and runs the async steps it cannot take at once', async () => {
    const actual = await answer(steps, CASES[6]);
    expect(actual).toMatchObject({ status: 201, route: 'mixed', body: { who: 'nobody', id: 'a', body: { name: 'x', n: 2 }, q: 'UP' } });
    expect(await answer(steps, CASES[16])).toMatchObject({ status: 200, calls: ['guard', 'async guard', 'microtask'] });
    expect((await answer(steps, CASES[17])).body).toEqual({ wrapped: { q: 'ABC' } });
  });
});

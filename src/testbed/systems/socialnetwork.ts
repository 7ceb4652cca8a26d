/**
 * SocialNetwork (SN, DeathStarBench) as the testbed simulates it: the 12 services the official Eadro
 * code uses as graph nodes (data-formats.md §1), with request flows after DeathStarBench's mixed
 * workload (compose post, read home timeline, read user timeline, follow, login).
 *
 * Deliberate difference from the official hard-coded edge list (tested in
 * test/testbed/systems.test.ts): reading a user timeline produces `nginx-web-server -> user-timeline`
 * and `user-timeline -> post-storage`, which the real system does and the official list omits
 * (there, `user-timeline` has only the in-edge from `compose-post`). Every official edge is produced.
 */
import type { CallSpec, ServiceSpec, Topology } from '../topology.js';

/** Service names in the official node order (data-formats.md §1). */
export const SN_SERVICE_NAMES = [
  'social-graph-service', 'compose-post-service', 'post-storage-service', 'user-timeline-service',
  'url-shorten-service', 'user-service', 'media-service', 'text-service', 'unique-id-service',
  'user-mention-service', 'home-timeline-service', 'nginx-web-server',
] as const;

/** The official caller -> callee list (data-formats.md §1). */
export const SN_OFFICIAL_EDGES: ReadonlyArray<readonly [string, string[]]> = [
  ['nginx-web-server', ['compose-post-service', 'home-timeline-service', 'social-graph-service', 'user-service']],
  ['compose-post-service', ['home-timeline-service', 'media-service', 'post-storage-service', 'text-service', 'unique-id-service', 'user-service', 'user-timeline-service']],
  ['home-timeline-service', ['post-storage-service', 'social-graph-service']],
  ['social-graph-service', ['user-service']],
  ['text-service', ['url-shorten-service', 'user-mention-service']],
];

/** Pairs our flows produce beyond the official list, with the reason (see the file comment). */
export const SN_EXTRA_EDGES: ReadonlyArray<readonly [string, string, string]> = [
  ['nginx-web-server', 'user-timeline-service', 'read user timeline goes from the gateway to user-timeline'],
  ['user-timeline-service', 'post-storage-service', 'user-timeline reads the posts it lists'],
];

/**
 * Per-service parameters (ours): C++ Thrift services answer in about a millisecond; memory is a
 * small C++ process's resident size; nginx (OpenResty with Lua) does more per request.
 */
const PARAMS: Record<string, [processingMs: number, idleCpuPercent: number, cpuMsPerRequest: number, memoryMiB: number]> = {
  'social-graph-service': [1.5, 0.8, 0.6, 38], 'compose-post-service': [2.5, 0.9, 1.0, 46],
  'post-storage-service': [2.0, 1.0, 0.8, 52], 'user-timeline-service': [1.8, 0.8, 0.7, 40],
  'url-shorten-service': [0.8, 0.5, 0.3, 24], 'user-service': [1.2, 0.7, 0.5, 34], 'media-service': [0.9, 0.5, 0.3, 26],
  'text-service': [1.0, 0.6, 0.4, 28], 'unique-id-service': [0.5, 0.4, 0.2, 20], 'user-mention-service': [0.9, 0.5, 0.3, 25],
  'home-timeline-service': [1.6, 0.9, 0.7, 44], 'nginx-web-server': [2.0, 1.5, 0.9, 64],
};

function services(): ServiceSpec[] {
  return SN_SERVICE_NAMES.map((name) => {
    const [processingMs, idleCpuPercent, cpuMsPerRequest, memoryMiB] = PARAMS[name]!;
    return { name, processingMs, idleCpuPercent, cpuMsPerRequest, memoryMiB };
  });
}

function call(service: string, operation: string, calls?: CallSpec[], extra: Partial<CallSpec> = {}): CallSpec {
  const spec: CallSpec = { service, operation, ...extra };
  if (calls !== undefined) spec.calls = calls;
  return spec;
}

const readPosts = (): CallSpec => call('post-storage-service', 'ReadPosts');

/** Mix: DeathStarBench's wrk2 mixed workload (compose 10%, read home 60%, read user 30%), with a little follow/login (ours). */
function flows(): Topology['flows'] {
  return [
    {
      name: 'compose post',
      weight: 0.1,
      root: call('nginx-web-server', '/wrk2-api/post/compose', [
        call('compose-post-service', 'ComposePost', [
          call('unique-id-service', 'ComposeUniqueId'),
          call('text-service', 'ComposeText', [
            call('url-shorten-service', 'ComposeUrls', undefined, { probability: 0.7 }),
            call('user-mention-service', 'ComposeUserMentions', undefined, { probability: 0.8 }),
          ], { parallel: true }),
          call('media-service', 'ComposeMedia', undefined, { probability: 0.6 }),
          call('user-service', 'ComposeCreatorWithUserId'),
          call('post-storage-service', 'StorePost'),
          call('user-timeline-service', 'WriteUserTimeline'),
          call('home-timeline-service', 'WriteHomeTimeline', [call('social-graph-service', 'GetFollowers')]),
        ]),
      ]),
    },
    {
      name: 'read home timeline',
      weight: 0.55,
      root: call('nginx-web-server', '/wrk2-api/home-timeline/read', [
        call('home-timeline-service', 'ReadHomeTimeline', [readPosts()]),
      ]),
    },
    {
      name: 'read user timeline',
      weight: 0.28,
      root: call('nginx-web-server', '/wrk2-api/user-timeline/read', [
        call('user-timeline-service', 'ReadUserTimeline', [readPosts()]),
      ]),
    },
    {
      name: 'follow',
      weight: 0.04,
      root: call('nginx-web-server', '/wrk2-api/user/follow', [
        call('social-graph-service', 'FollowWithUsername', [call('user-service', 'GetUserId', undefined, { repeat: 2 })]),
      ]),
    },
    {
      name: 'login',
      weight: 0.03,
      root: call('nginx-web-server', '/wrk2-api/user/login', [call('user-service', 'Login')]),
    },
  ];
}

/** The SN system: 12 services, paper §V-A request rate 2-3 req/s, C++ logs. */
export function socialNetwork(): Topology {
  return {
    name: 'sn',
    services: services(),
    flows: flows(),
    requestRate: { min: 2, max: 3 }, // paper §V-A
    logStyle: 'cpp',
    containerPattern: 'socialnetwork-{service}-1', // released style
  };
}

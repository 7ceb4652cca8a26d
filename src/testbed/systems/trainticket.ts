/**
 * TrainTicket (TT) as the testbed simulates it: the 27 business services that the official Eadro code
 * uses as graph nodes (data-formats.md §1), and request flows whose caller/callee pairs are exactly
 * the official hard-coded edge list (`codes/preprocess/util.py`, quoted in data-formats.md §1).
 *
 * Deliberate simplifications (documented, tested in test/testbed/systems.test.ts):
 * - Traces start at a business service; the UI gateway (`ts-ui-dashboard`) is not one of the 27 nodes
 *   and is not traced, so it creates no edges.
 * - `ts-route-plan-service`, `ts-travel-plan-service` and `ts-travel2-service` have no edge in the
 *   official list; they serve single-span requests here (in the real system they call further
 *   services, which the official graph leaves out, so we leave those calls out too).
 */
import type { CallSpec, ServiceSpec, Topology } from '../topology.js';

/** Short names of the 27 services, in the official node order (data-formats.md §1). */
export const TT_SERVICE_NAMES = [
  'assurance', 'auth', 'basic', 'cancel', 'config', 'contacts', 'food-map', 'food', 'inside-payment',
  'notification', 'order-other', 'order', 'payment', 'preserve', 'price', 'route-plan', 'route', 'seat',
  'security', 'station', 'ticketinfo', 'train', 'travel-plan', 'travel', 'travel2', 'user', 'verification-code',
] as const;

/** The official caller -> callee list (data-formats.md §1), short names. */
export const TT_OFFICIAL_EDGES: ReadonlyArray<readonly [string, string[]]> = [
  ['preserve', ['seat', 'security', 'food', 'order', 'ticketinfo', 'travel', 'contacts', 'notification', 'user', 'station']],
  ['seat', ['order', 'config', 'travel']],
  ['cancel', ['inside-payment', 'order-other', 'order']],
  ['security', ['order-other', 'order']],
  ['food', ['travel', 'food-map', 'station']],
  ['travel', ['order', 'ticketinfo', 'train', 'route']],
  ['inside-payment', ['payment', 'order']],
  ['ticketinfo', ['basic']],
  ['basic', ['route', 'price', 'train', 'station']],
  ['order-other', ['station']],
  ['order', ['station', 'assurance']],
  ['auth', ['verification-code']],
];

const svc = (short: string): string => `ts-${short}-service`;

/**
 * Per-service parameters. Own processing medians (ms) are ours, chosen so that a search takes a few
 * hundred ms and a booking about a second, as TT's Java services do under light load; memory is a
 * Spring Boot JVM's resident size (ours, 350-800 MiB).
 */
const PARAMS: Record<string, [processingMs: number, idleCpuPercent: number, cpuMsPerRequest: number, memoryMiB: number]> = {
  assurance: [12, 1.5, 5, 420], auth: [35, 2.0, 12, 520], basic: [18, 2.5, 6, 480], cancel: [25, 1.5, 8, 450],
  config: [8, 1.2, 3, 380], contacts: [10, 1.4, 4, 410], 'food-map': [20, 1.3, 6, 440], food: [30, 1.8, 9, 500],
  'inside-payment': [22, 1.6, 7, 460], notification: [40, 1.2, 6, 400], 'order-other': [16, 2.0, 6, 560],
  order: [16, 2.6, 7, 640], payment: [18, 1.4, 6, 430], preserve: [45, 2.2, 14, 600], price: [9, 1.5, 3, 390],
  'route-plan': [120, 2.0, 30, 520], route: [12, 2.2, 4, 450], seat: [28, 2.0, 10, 470], security: [14, 1.5, 5, 420],
  station: [7, 3.0, 3, 470], ticketinfo: [10, 1.8, 4, 430], train: [8, 1.7, 3, 410], 'travel-plan': [90, 1.9, 25, 500],
  travel: [30, 2.8, 10, 620], travel2: [35, 1.8, 10, 560], user: [10, 1.5, 4, 430], 'verification-code': [25, 1.2, 9, 390],
};

function services(): ServiceSpec[] {
  return TT_SERVICE_NAMES.map((short) => {
    const [processingMs, idleCpuPercent, cpuMsPerRequest, memoryMiB] = PARAMS[short]!;
    return { name: svc(short), processingMs, idleCpuPercent, cpuMsPerRequest, memoryMiB };
  });
}

function call(short: string, operation: string, calls?: CallSpec[], extra: Partial<CallSpec> = {}): CallSpec {
  const spec: CallSpec = { service: svc(short), operation, ...extra };
  if (calls !== undefined) spec.calls = calls;
  return spec;
}

/** basic -> route, price, train, station: resolving one trip's details. */
const queryForTravel = (): CallSpec =>
  call('basic', 'POST /api/v1/basicservice/basic/travel', [
    call('station', 'POST /api/v1/stationservice/stations/id'),
    call('train', 'GET /api/v1/trainservice/trains/{id}'),
    call('route', 'GET /api/v1/routeservice/routes/{routeId}'),
    call('price', 'GET /api/v1/priceservice/prices/{routeId}/{trainType}'),
  ]);

const ticketInfo = (): CallSpec => call('ticketinfo', 'POST /api/v1/ticketinfoservice/ticketinfo', [queryForTravel()]);

/** order -> station, assurance as used when an order is read or created. */
const orderWithStation = (operation: string, withAssurance = false): CallSpec =>
  call('order', operation, [
    call('station', 'GET /api/v1/stationservice/stations/name/{stationId}'),
    ...(withAssurance ? [call('assurance', 'GET /api/v1/assuranceservice/assurances/types', undefined, { probability: 0.6 })] : []),
  ]);

const travelDetail = (): CallSpec =>
  call('travel', 'POST /api/v1/travelservice/trip_detail', [
    call('route', 'GET /api/v1/routeservice/routes/{routeId}'),
    call('train', 'GET /api/v1/trainservice/trains/{id}'),
    ticketInfo(),
    call('order', 'POST /api/v1/orderservice/order/tickets', undefined, { processingMs: 20 }),
  ]);

/** The API calls a TT client makes; each one is a trace. */
const api = {
  login: (): CallSpec => call('auth', 'POST /api/v1/users/login', [call('verification-code', 'GET /api/v1/verifycode/verify/{verifyCode}')]),
  searchHighSpeed: (): CallSpec =>
    call('travel', 'POST /api/v1/travelservice/trips/left', [
      call('route', 'GET /api/v1/routeservice/routes/{startId}/{endId}'),
      call('ticketinfo', 'POST /api/v1/ticketinfoservice/ticketinfo', [queryForTravel()], { repeat: [1, 3] }),
      call('train', 'GET /api/v1/trainservice/trains/{id}'),
      call('order', 'POST /api/v1/orderservice/order/tickets', undefined, { processingMs: 20 }),
    ]),
  searchOtherTrains: (): CallSpec => call('travel2', 'POST /api/v1/travel2service/trips/left'),
  cheapestRoute: (): CallSpec => call('route-plan', 'POST /api/v1/routeplanservice/routePlan/cheapestRoute'),
  travelPlan: (): CallSpec => call('travel-plan', 'POST /api/v1/travelplanservice/travelPlan/minStation'),
  stationList: (): CallSpec => call('station', 'GET /api/v1/stationservice/stations'),
  contacts: (): CallSpec => call('contacts', 'GET /api/v1/contactservice/contacts/account/{accountId}'),
  userProfile: (): CallSpec => call('user', 'GET /api/v1/userservice/users/{userName}'),
  foodMenu: (): CallSpec =>
    call('food', 'GET /api/v1/foodservice/foods/{date}/{startStation}/{endStation}/{tripId}', [
      call('travel', 'GET /api/v1/travelservice/routes/{tripId}', [call('route', 'GET /api/v1/routeservice/routes/{routeId}')]),
      call('food-map', 'GET /api/v1/foodmapservice/foodstores/{stationId}'),
      call('station', 'GET /api/v1/stationservice/stations/id/{stationNameForId}'),
    ], { parallel: true }),
  book: (): CallSpec =>
    call('preserve', 'POST /api/v1/preserveservice/preserve', [
      call('security', 'GET /api/v1/securityservice/securityConfigs/{accountId}', [
        call('order-other', 'GET /api/v1/orderOtherService/orderOther/security/{checkDate}/{accountId}', [
          call('station', 'GET /api/v1/stationservice/stations/name/{stationId}', undefined, { probability: 0.5 }),
        ]),
        call('order', 'GET /api/v1/orderservice/order/security/{checkDate}/{accountId}'),
      ]),
      call('contacts', 'GET /api/v1/contactservice/contacts/{id}'),
      travelDetail(),
      ticketInfo(),
      call('station', 'GET /api/v1/stationservice/stations/id/{stationNameForId}', undefined, { repeat: 2 }),
      call('seat', 'POST /api/v1/seatservice/seats', [
        travelDetail(),
        call('order', 'POST /api/v1/orderservice/order/tickets', undefined, { processingMs: 20 }),
        call('config', 'GET /api/v1/configservice/configs/{configName}'),
      ]),
      orderWithStation('POST /api/v1/orderservice/order', true),
      call('food', 'POST /api/v1/foodservice/orders', undefined, { probability: 0.4 }),
      call('user', 'GET /api/v1/userservice/users/id/{userId}'),
      call('notification', 'POST /api/v1/notifyservice/notification/preserve_success', undefined, { probability: 0.8 }),
    ]),
  pay: (): CallSpec =>
    call('inside-payment', 'POST /api/v1/inside_pay_service/inside_payment', [
      orderWithStation('GET /api/v1/orderservice/order/{orderId}'),
      call('payment', 'POST /api/v1/paymentservice/payment'),
      call('order', 'GET /api/v1/orderservice/order/status/{orderId}/{status}'),
    ]),
  cancel: (): CallSpec =>
    call('cancel', 'GET /api/v1/cancelservice/cancel/{orderId}/{loginId}', [
      orderWithStation('GET /api/v1/orderservice/order/{orderId}'),
      call('order-other', 'GET /api/v1/orderOtherService/orderOther/{orderId}', [
        call('station', 'GET /api/v1/stationservice/stations/name/{stationId}'),
      ], { probability: 0.3 }),
      call('inside-payment', 'GET /api/v1/inside_pay_service/inside_payment/drawback/{userId}/{money}', [
        call('payment', 'POST /api/v1/paymentservice/payment/money'),
        call('order', 'PUT /api/v1/orderservice/order'),
      ]),
    ]),
  queryOrders: (): CallSpec => orderWithStation('POST /api/v1/orderservice/order/refresh'),
  queryOtherOrders: (): CallSpec =>
    call('order-other', 'POST /api/v1/orderOtherService/orderOther/refresh', [
      call('station', 'GET /api/v1/stationservice/stations/name/{stationId}'),
    ]),
};

/** A step of a scenario that the client makes only sometimes. */
const sometimes = (spec: CallSpec, probability: number): CallSpec => ({ ...spec, probability });

/**
 * The request mix: user scenarios, each a sequence of API calls (one trace each), after TT's request
 * simulators (FudanSELab's train-ticket-auto-query: query-and-preserve, query-and-pay,
 * query-and-cancel, advanced search). Paper §V-A's 0.2-0.5 "requests" per second for TT (against SN's
 * 2-3, "TT usually takes more time to process a request") are read as such scenarios: one search or
 * booking click is far lighter than TT's capacity. Scenario contents follow the simulators' shape;
 * weights and step probabilities are ours.
 *
 * Why it matters: with one API call per request, most of the 27 services served no call in a 10-s window
 * (`quick` data, seed 0, fault-free windows: route-plan 8 %, cancel 8 %, assurance 20 %), so a network
 * fault left no span of its target in 62-64 % of its windows, and no detector could tell those from
 * normal ones. With scenarios: route-plan 52 %, cancel 24 %, assurance 52 %; the target of a network
 * fault serves a span in 62 % (delay) / 66 % (loss) of its windows (was 36 % / 38 %). Since testbed
 * 1.2 no API call vanishes: calls that cannot reach the target time out at its callers, which log it
 * (faults.ts); the target itself serves a span in 61 % / 66 % of those windows (quick, seed 0).
 */
function flows(): Topology['flows'] {
  return [
    {
      name: 'search tickets',
      weight: 0.3,
      root: api.searchHighSpeed(),
      then: [sometimes(api.searchOtherTrains(), 0.8), sometimes(api.travelPlan(), 0.4), sometimes(api.cheapestRoute(), 0.4), sometimes(api.stationList(), 0.2)],
    },
    {
      name: 'search and book',
      weight: 0.25,
      root: api.login(),
      then: [api.searchHighSpeed(), sometimes(api.searchOtherTrains(), 0.5), api.contacts(), sometimes(api.foodMenu(), 0.6), api.book()],
    },
    {
      name: 'book and pay',
      weight: 0.15,
      root: api.login(),
      then: [api.searchHighSpeed(), api.contacts(), api.book(), api.queryOrders(), api.pay()],
    },
    {
      name: 'cancel order',
      weight: 0.1,
      root: api.login(),
      then: [api.queryOrders(), sometimes(api.queryOtherOrders(), 0.6), api.cancel()],
    },
    {
      name: 'advanced search',
      weight: 0.12,
      root: api.travelPlan(),
      then: [api.cheapestRoute(), sometimes(api.searchOtherTrains(), 0.5)],
    },
    {
      name: 'account',
      weight: 0.08,
      root: api.login(),
      then: [api.userProfile(), api.contacts(), sometimes(api.queryOtherOrders(), 0.7)],
    },
  ];
}

/** The TT system: 27 services, paper §V-A request rate 0.2-0.5 req/s, Java logs. */
export function trainTicket(): Topology {
  return {
    name: 'tt',
    services: services(),
    flows: flows(),
    requestRate: { min: 0.2, max: 0.5 }, // paper §V-A
    logStyle: 'java',
    containerPattern: 'train-ticket_{service}_1', // released style: service = part between underscores
  };
}

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

/** Flows and mix: ours, after TT's load generator (search dominates, bookings and payments follow). */
function flows(): Topology['flows'] {
  return [
    {
      name: 'search travel',
      weight: 0.3,
      root: call('travel', 'POST /api/v1/travelservice/trips/left', [
        call('route', 'GET /api/v1/routeservice/routes/{startId}/{endId}'),
        call('ticketinfo', 'POST /api/v1/ticketinfoservice/ticketinfo', [queryForTravel()], { repeat: [1, 3] }),
        call('train', 'GET /api/v1/trainservice/trains/{id}'),
        call('order', 'POST /api/v1/orderservice/order/tickets', undefined, { processingMs: 20 }),
      ]),
    },
    {
      name: 'book ticket',
      weight: 0.14,
      root: call('preserve', 'POST /api/v1/preserveservice/preserve', [
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
    },
    {
      name: 'food menu',
      weight: 0.06,
      root: call('food', 'GET /api/v1/foodservice/foods/{date}/{startStation}/{endStation}/{tripId}', [
        call('travel', 'GET /api/v1/travelservice/routes/{tripId}', [call('route', 'GET /api/v1/routeservice/routes/{routeId}')]),
        call('food-map', 'GET /api/v1/foodmapservice/foodstores/{stationId}'),
        call('station', 'GET /api/v1/stationservice/stations/id/{stationNameForId}'),
      ], { parallel: true }),
    },
    {
      name: 'pay order',
      weight: 0.08,
      root: call('inside-payment', 'POST /api/v1/inside_pay_service/inside_payment', [
        orderWithStation('GET /api/v1/orderservice/order/{orderId}'),
        call('payment', 'POST /api/v1/paymentservice/payment'),
        call('order', 'GET /api/v1/orderservice/order/status/{orderId}/{status}'),
      ]),
    },
    {
      name: 'cancel order',
      weight: 0.05,
      root: call('cancel', 'GET /api/v1/cancelservice/cancel/{orderId}/{loginId}', [
        orderWithStation('GET /api/v1/orderservice/order/{orderId}'),
        call('order-other', 'GET /api/v1/orderOtherService/orderOther/{orderId}', [
          call('station', 'GET /api/v1/stationservice/stations/name/{stationId}'),
        ], { probability: 0.3 }),
        call('inside-payment', 'GET /api/v1/inside_pay_service/inside_payment/drawback/{userId}/{money}', [
          call('payment', 'POST /api/v1/paymentservice/payment/money'),
          call('order', 'PUT /api/v1/orderservice/order'),
        ]),
      ]),
    },
    {
      name: 'login',
      weight: 0.1,
      root: call('auth', 'POST /api/v1/users/login', [
        call('verification-code', 'GET /api/v1/verifycode/verify/{verifyCode}'),
      ]),
    },
    {
      name: 'query orders',
      weight: 0.08,
      root: orderWithStation('POST /api/v1/orderservice/order/refresh'),
    },
    {
      name: 'query other orders',
      weight: 0.04,
      root: call('order-other', 'POST /api/v1/orderOtherService/orderOther/refresh', [
        call('station', 'GET /api/v1/stationservice/stations/name/{stationId}'),
      ]),
    },
    { name: 'query contacts', weight: 0.04, root: call('contacts', 'GET /api/v1/contactservice/contacts/account/{accountId}') },
    { name: 'user profile', weight: 0.03, root: call('user', 'GET /api/v1/userservice/users/{userName}') },
    { name: 'cheapest route', weight: 0.03, root: call('route-plan', 'POST /api/v1/routeplanservice/routePlan/cheapestRoute') },
    { name: 'travel plan', weight: 0.03, root: call('travel-plan', 'POST /api/v1/travelplanservice/travelPlan/minStation') },
    { name: 'search other trains', weight: 0.04, root: call('travel2', 'POST /api/v1/travel2service/trips/left') },
    { name: 'station list', weight: 0.02, root: call('station', 'GET /api/v1/stationservice/stations') },
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

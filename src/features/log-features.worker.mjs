// Worker entry for log-features.ts. Plain JavaScript on purpose: a worker thread does not inherit tsx's
// loader when the parent registered it through the API (bin/eadro.js), so this file registers tsx itself
// and then loads the TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./log-features.worker.ts');

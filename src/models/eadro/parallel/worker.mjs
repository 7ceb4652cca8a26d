// Worker entry for trainer.ts. Plain JavaScript on purpose (as ../../../features/log-features.worker.mjs):
// a worker thread does not inherit tsx's loader, so this file registers tsx and then loads the
// TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

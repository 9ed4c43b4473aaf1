import { describe, expect, it } from 'vitest';
import { SchemaNewerError } from '../store-pg/schema-newer.ts';
import { StoreUnavailableError } from '../store/standby.ts';
import { isStoreUnavailable } from './unavailable.ts';

describe('isStoreUnavailable', () => {
  it('is the standby store and a newer team schema, nothing else', () => {
    expect(isStoreUnavailable(new StoreUnavailableError('EISDIR'))).toBe(true);
    expect(isStoreUnavailable(new SchemaNewerError(9, 8, '2027.1.1'))).toBe(true);
    expect(isStoreUnavailable(new Error('the request store is not available: x'))).toBe(false);
    expect(isStoreUnavailable(new RangeError('bad range'))).toBe(false);
    expect(isStoreUnavailable({ code: 'ESTORE_UNAVAILABLE' })).toBe(false);
  });
});

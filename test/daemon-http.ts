/**
 * GET /ready and GET /api/status of a daemon under test, typed by the API contract: shared by the tests that
 * watch a daemon through a standby or a store that is still opening.
 */
import type { ReadyResponse, StatusResponse } from '../shared/contract.ts';

/** /ready's status code and body (503 while the store is not open). */
export async function getReady(url: string): Promise<{ status: number; body: ReadyResponse }> {
  const res = await fetch(`${url}/ready`);
  return { status: res.status, body: (await res.json()) as ReadyResponse };
}

/** /api/status with the daemon's token; throws unless it answers 200 (it always should). */
export async function getStatus(url: string, token: string): Promise<StatusResponse> {
  const res = await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`/api/status answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as StatusResponse;
}

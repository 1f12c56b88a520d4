import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Admin routes (those that show findings or start work) answer only a caller presenting
 * `Authorization: Bearer <token>`; without a configured token they are off, never open.
 */
export function adminGuard(token: string | undefined, setting: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  // Hashing first gives equal lengths, so the comparison takes the same time whatever is sent.
  const expected = token === undefined ? undefined : createHash('sha256').update(token).digest();
  return async (request, reply) => {
    if (expected === undefined) {
      await reply.code(403).send({ error: `admin endpoints are off: set ${setting} and send it as "Authorization: Bearer <token>"` });
      return;
    }
    const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (presented === undefined || !timingSafeEqual(createHash('sha256').update(presented).digest(), expected)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: `missing or wrong bearer token (${setting})` });
    }
  };
}

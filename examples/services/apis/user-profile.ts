/** user_profile_api: a Wealth Copilot customer's home currency, surplus, risk profile and holdings. */
import { DEMO_CREDENTIALS } from '../fixtures/credentials.ts';
import { PROFILES } from '../fixtures/wealth.ts';
import { notFound } from '../http.ts';
import type { ApiService } from '../types.ts';

export function createUserProfileApi(): ApiService {
  return {
    api: 'user_profile_api',
    credential: { type: 'bearer', token: DEMO_CREDENTIALS.userProfile },
    routes: [
      {
        name: 'getProfile',
        method: 'GET',
        path: '/users/{userId}/profile',
        handle: ({ userId }) => {
          const p = PROFILES.find((x) => x.userId === userId);
          if (!p) throw notFound(`user ${String(userId)}`);
          return p;
        },
      },
    ],
  };
}

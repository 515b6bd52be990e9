import type { FastifyInstance } from 'fastify';
import { BillingSettingsPatch, BillingSettingsSchema, type BillingSettingsStore } from './billing-settings.js';

/**
 * `GET|PUT|DELETE /admin/billing`: the run-time switches of the charging work (period length,
 * fencing on/off, pending retry delay). The replica's port is published nowhere and the gateway
 * routes only to the api; from the host: `./lab compose exec billing-leader-1 ...`. Per replica:
 * a test switching the cluster sets every replica, and a restarted replica starts from its env.
 */
export async function settingsRoutes(
  app: FastifyInstance,
  options: { readonly settings: BillingSettingsStore },
): Promise<void> {
  const { settings } = options;
  const schema = { response: { 200: BillingSettingsSchema } };
  app.get('/admin/billing', { schema }, async () => settings.current());
  app.put<{ Body: BillingSettingsPatch }>(
    '/admin/billing',
    { schema: { ...schema, body: BillingSettingsPatch } },
    async (req) => {
      const now = settings.set(req.body);
      req.log.warn({ settings: now }, 'billing settings changed');
      return now;
    },
  );
  app.delete('/admin/billing', { schema }, async (req) => {
    const now = settings.reset();
    req.log.warn({ settings: now }, 'billing settings reset to the environment');
    return now;
  });
}

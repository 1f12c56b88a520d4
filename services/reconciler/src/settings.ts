import { httpSettings, sourceSettings, url } from '@paysync/config';

export const reconcilerSettings = {
  ...sourceSettings,
  ...httpSettings,
  targetUrl: url('PAYSYNC_TARGET_URL', {
    description: 'Target database compared with the source: PostgreSQL or MariaDB/MySQL.',
    example: 'postgres://paysync:secret@replica:5432/payments',
    protocols: ['postgres:', 'postgresql:', 'mysql:', 'mariadb:'],
    secret: true,
  }),
};

import { defineCommand, integer, kafkaSettings, list, optional, sourceSettings, text, withCrossCheck, type ConfigOf } from '@paysync/config';
import { pipelineVerdict, STATUS_EXIT } from './status/pipeline-verdict';
import { readPipelineStatus, TARGETS_SETTING, type StatusInputs } from './status/pipeline-status';
import { renderStatus } from './status/status-report';

const statusSettings = {
  sourceUrl: sourceSettings.sourceUrl,
  slot: optional(text('PAYSYNC_SLOT', { description: 'Only this replication slot (all logical slots when unset).', example: 'paysync' })),
  targetUrls: withCrossCheck(
    optional(
      list(TARGETS_SETTING, {
        description: 'Targets whose apply groups paysync status shows (the PAYSYNC_TARGET_URL of each apply), comma-separated; their progress is measured against the topic ends, so PAYSYNC_KAFKA_BROKERS is needed too.',
        example: 'postgres://paysync:secret@replica:5432/payments,mysql://paysync:secret@reporting:3306/payments',
        secret: true,
        item: (v) => {
          if (!/^(postgres|postgresql|mysql|mariadb):\/\//.test(v)) throw new Error('must be a postgres://, mysql:// or mariadb:// URL');
        },
      }),
    ),
    (targets, valueOf) => (targets && targets.length > 0 && valueOf('PAYSYNC_KAFKA_BROKERS') === undefined ? 'needs PAYSYNC_KAFKA_BROKERS: apply\'s lag is measured against the topic ends' : undefined),
  ),
  reconcilerUrls: optional(
    list('PAYSYNC_STATUS_RECONCILER_URLS', {
      description: 'HTTP addresses of reconciler services (their PAYSYNC_HTTP_PORT) whose last results paysync status shows, comma-separated.',
      example: 'http://reconciler:8080',
      item: (v) => {
        if (!/^https?:\/\/[^/\s]+/.test(v)) throw new Error('must be an http:// or https:// address');
      },
    }),
  ),
  kafkaBrokers: optional(kafkaSettings.kafkaBrokers),
  kafkaClientId: kafkaSettings.kafkaClientId,
  kafkaSsl: kafkaSettings.kafkaSsl,
  kafkaSslCaFile: kafkaSettings.kafkaSslCaFile,
  kafkaSslCertFile: kafkaSettings.kafkaSslCertFile,
  kafkaSslKeyFile: kafkaSettings.kafkaSslKeyFile,
  kafkaSaslMechanism: kafkaSettings.kafkaSaslMechanism,
  kafkaSaslUsername: kafkaSettings.kafkaSaslUsername,
  kafkaSaslPassword: kafkaSettings.kafkaSaslPassword,
  topicPrefix: kafkaSettings.topicPrefix,
  stallSeconds: integer('PAYSYNC_STATUS_STALL_SECONDS', {
    description: 'An apply group with records waiting and no progress for this long makes the verdict degraded.',
    default: 60,
    min: 1,
  }),
  refreshMs: integer('PAYSYNC_STATUS_REFRESH_MS', { description: 'How often --watch reads the pipeline again.', default: 2000, min: 200 }),
  timeoutMs: integer('PAYSYNC_STATUS_TIMEOUT_MS', { description: 'How long a reconciler service may take to answer.', default: 5000, min: 100 }),
};

type StatusConfig = ConfigOf<typeof statusSettings>;

function inputsOf(config: StatusConfig): StatusInputs {
  const { kafkaBrokers } = config;
  return {
    sourceUrl: config.sourceUrl,
    slot: config.slot,
    targetUrls: config.targetUrls ?? [],
    reconcilerUrls: config.reconcilerUrls ?? [],
    topicPrefix: config.topicPrefix,
    kafka: kafkaBrokers ? { ...config, kafkaBrokers } : undefined,
    timeoutMs: config.timeoutMs,
  };
}

/** Reads the pipeline once and prints it; resolves to the verdict's exit code. */
async function showOnce(config: StatusConfig, json: boolean, clearScreen: boolean): Promise<number> {
  const status = await readPipelineStatus(inputsOf(config));
  const verdict = pipelineVerdict(status, config.stallSeconds);
  const shown = json ? `${JSON.stringify({ ...status, verdict })}\n` : renderStatus(status, verdict);
  process.stdout.write(clearScreen ? `\x1b[H\x1b[2J${shown}` : shown);
  return STATUS_EXIT[verdict.state];
}

/** The whole pipeline at a glance: capture's slots, each apply group's progress and the reconcilers' last results, with a verdict. */
export const statusCommand = defineCommand({
  name: 'status',
  summary: 'Show the pipeline: each capture slot (streaming, lag, retained WAL, snapshot requests), each apply group per target (records behind, dead letters), the reconcilers\' last results, and a verdict.',
  usage: [
    'Options:',
    '  --json   one JSON object (one per refresh with --watch) instead of the screen',
    '  --watch  read again every PAYSYNC_STATUS_REFRESH_MS until interrupted',
    'Exit codes: 0 ok, 1 degraded (something needs attention: the reasons are listed), 2 bad settings, 3 a part could not be reached.',
    '',
  ].join('\n'),
  settings: statusSettings,
  run: async (config, args) => {
    const json = args.includes('--json');
    if (!args.includes('--watch')) return showOnce(config, json, false);
    let stopped = false;
    let wake: () => void = () => undefined;
    const stop = () => {
      stopped = true;
      wake();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    while (!stopped) {
      await showOnce(config, json, !json);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, config.refreshMs);
      });
    }
    return 0;
  },
});

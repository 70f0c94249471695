/** One help-centre article the auto-answer can send. */
export interface KnowledgeBaseArticle {
  id: string;
  title: string;
  url: string;
  /** Lower-case words or phrases that suggest the article; several languages. */
  keywords: string[];
  /** The paragraph quoted in the reply. */
  answer: string;
}

const HELP = 'https://help.example.com/articles';

export const KNOWLEDGE_BASE: readonly KnowledgeBaseArticle[] = [
  {
    id: 'kb-export-data',
    title: 'Export your data to CSV or Excel',
    url: `${HELP}/export-data`,
    keywords: ['export', 'csv', 'excel', 'xlsx', 'download my data', 'backup', 'exportieren', 'exportar'],
    answer:
      'You can export any list from Reports > Export. Pick CSV or Excel, choose the date range and columns, and we email you a download link once the file is ready (usually within a few minutes).',
  },
  {
    id: 'kb-invite-teammates',
    title: 'Invite teammates and assign roles',
    url: `${HELP}/invite-teammates`,
    keywords: [
      'invite',
      'teammate',
      'colleague',
      'add a user',
      'add users',
      'seat',
      'role',
      'permission',
      'einladen',
      'invitar',
    ],
    answer:
      'Admins can invite people under Settings > Team > Invite. Enter their email addresses and pick a role (Viewer, Editor or Admin); you can change a role later from the same page.',
  },
  {
    id: 'kb-integrations',
    title: 'Connect Slack, Google Drive and other integrations',
    url: `${HELP}/integrations`,
    keywords: [
      'integration',
      'integrate',
      'connect',
      'slack',
      'zapier',
      'google drive',
      'salesforce',
      'hubspot',
      'webhook',
      'verbinden',
      'conectar',
    ],
    answer:
      'Open Settings > Integrations, choose the service and click Connect. You will be asked to sign in to that service and approve access; after that, pick which workspace or folder to sync.',
  },
  {
    id: 'kb-api-keys',
    title: 'Create API keys and understand rate limits',
    url: `${HELP}/api-keys`,
    keywords: ['api', 'api key', 'token', 'rate limit', 'endpoint', 'sdk', 'developer'],
    answer:
      'API keys are created under Settings > Developers > API keys. Each key can be limited to read or write access. The API allows 600 requests per minute per workspace; responses carry the remaining quota in headers.',
  },
  {
    id: 'kb-notifications',
    title: 'Choose which notifications you receive',
    url: `${HELP}/notifications`,
    keywords: [
      'notification',
      'email alerts',
      'too many emails',
      'digest',
      'unsubscribe',
      'mute',
      'benachrichtigung',
      'notificaciones',
    ],
    answer:
      'Each person controls their own notifications under Profile > Notifications: switch individual alerts off, or choose a daily digest instead of instant emails.',
  },
  {
    id: 'kb-reports-dashboards',
    title: 'Build reports and share dashboards',
    url: `${HELP}/reports-dashboards`,
    keywords: [
      'report',
      'dashboard',
      'chart',
      'filter',
      'share a dashboard',
      'schedule a report',
      'bericht',
      'informe',
    ],
    answer:
      'Create a report from Reports > New, add filters and a chart type, then save it to a dashboard. Use Share to give colleagues access, or Schedule to email it every week.',
  },
  {
    id: 'kb-mobile-app',
    title: 'Use the mobile app and work offline',
    url: `${HELP}/mobile-app`,
    keywords: ['mobile', 'iphone', 'android', 'ipad', 'offline', 'app store', 'tablet', 'móvil', 'movil'],
    answer:
      'Install the app from the App Store or Google Play and sign in with your usual account. Mark projects as "Available offline" to keep working without a connection; changes sync when you are back online.',
  },
  {
    id: 'kb-automations',
    title: 'Automate repetitive work with rules',
    url: `${HELP}/automations`,
    keywords: [
      'automate',
      'automation',
      'rule',
      'recurring',
      'template',
      'bulk',
      'automatisch',
      'automatizar',
      'plantilla',
    ],
    answer:
      'Under Settings > Automations you can create rules such as "when a task is marked done, notify the owner". Start from a template or build your own trigger and action; rules run within a minute.',
  },
];

/** Sent when no article matches: the getting-started guide covers the most common questions. */
export const FALLBACK_ARTICLE: KnowledgeBaseArticle = {
  id: 'kb-getting-started',
  title: 'Getting started',
  url: `${HELP}/getting-started`,
  keywords: [],
  answer:
    'Our getting-started guide walks through the most common setup questions step by step, with screenshots for each part of the product.',
};

// A keyword matches at the start of a word, so "rule" finds "rules" but "api" does not find "rapid".
function mentions(haystack: string, keyword: string): boolean {
  const escaped = keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}`, 'u').test(haystack);
}

/**
 * The article whose keywords appear most often in the text; ties go to the earlier article.
 *
 * @example
 * pickArticle('How do I export my invoices to Excel?').id; // => 'kb-export-data'
 */
export function pickArticle(text: string): KnowledgeBaseArticle {
  const haystack = text.toLowerCase();
  let best = FALLBACK_ARTICLE;
  let bestScore = 0;
  for (const article of KNOWLEDGE_BASE) {
    const score = article.keywords.reduce((n, k) => n + (mentions(haystack, k) ? 1 : 0), 0);
    if (score > bestScore) {
      best = article;
      bestScore = score;
    }
  }
  return best;
}

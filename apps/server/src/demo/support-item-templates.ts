import type { SupportLabel } from './support-triage';

// Data for the demo ticket generator (`support-items.ts`). `{slot}` placeholders are filled per
// ticket; a slot used twice in one ticket gets the same value both times.

export type TemplateLanguage = 'en' | 'de' | 'es' | 'fr';

export interface TicketTemplate {
  label: SupportLabel;
  subjects: readonly string[];
  body: string;
  /** The text asks for money back: `{amount}` appears in it and the ticket carries `refundAmount`. */
  refund?: boolean;
}

export const ENGLISH_TEMPLATES: readonly TicketTemplate[] = [
  // billing
  {
    label: 'billing',
    refund: true,
    subjects: ['Refund for duplicate charge', 'Charged twice this month', 'Duplicate payment on {month} invoice'],
    body: 'I was charged {amount} twice for my {plan} subscription on {date}. My bank statement shows both payments. Please refund the duplicate charge.',
  },
  {
    label: 'billing',
    refund: true,
    subjects: ['Refund request - annual {plan} plan', 'Requesting a refund for the renewal'],
    body: 'Our annual {plan} plan renewed on {date} although we had planned to move off {product} before that. The charge was {amount}. Could you refund it? Nobody has used the account since the renewal.',
  },
  {
    label: 'billing',
    subjects: ['Invoice {invoice} is wrong', 'Incorrect seat count on invoice {invoice}'],
    body: 'Invoice {invoice} bills us for {seats} seats, but only {fewerSeats} people have had access all month. Please send a corrected invoice.',
  },
  {
    label: 'billing',
    subjects: ['Upgrade from {plan} to {otherPlan}', 'Question about changing plans'],
    body: "We'd like to move from {plan} to {otherPlan} before the end of the month. Will the unused time on {plan} be credited, and when will the new price appear on our invoice?",
  },
  {
    label: 'billing',
    subjects: ['Card payment keeps failing', 'Unable to pay invoice {invoice}'],
    body: 'The payment for invoice {invoice} failed three times with "{paymentError}". The card is valid and has funds. Is there another way to pay so our {product} workspace is not suspended?',
  },
  {
    label: 'billing',
    subjects: ['Invoices for {year} for our accountant', 'Need copies of all our invoices'],
    body: 'Our accountant needs every invoice from {year} as PDFs, with our company VAT number on them. Can you send them in one go? The billing page only lets me open them one by one.',
  },
  {
    label: 'billing',
    refund: true,
    subjects: ['Charged after cancellation', 'Still being billed after I cancelled'],
    body: 'I cancelled my {plan} subscription on {date} and got the confirmation email, yet today I was charged {amount} again. Please reverse this charge and confirm nothing more will be billed.',
  },
  {
    label: 'billing',
    subjects: ['VAT charged although we are exempt', 'Tax on invoice {invoice}'],
    body: 'The latest invoice ({invoice}) includes VAT even though we entered our VAT ID when we signed up. Can you reissue it without tax and credit the difference to our account?',
  },
  // bug
  {
    label: 'bug',
    subjects: ['{feature} not working', 'Problem with {feature}', 'Error when opening {feature}'],
    body: 'When I open {feature} in {product} I get the error "{error}". It started on {date} and happens every time. I am on {browser}.',
  },
  {
    label: 'bug',
    subjects: ['{product} crashes on {device}', 'Mobile app keeps crashing'],
    body: 'The {product} app crashes as soon as I open {feature} on my {device}. I reinstalled it and restarted the phone, same result.',
  },
  {
    label: 'bug',
    subjects: ['{integration} sync stopped', '{integration} integration broken'],
    body: 'Our {integration} integration stopped syncing on {date}. New records in {product} no longer show up in {integration}, and the integrations page says "{error}".',
  },
  {
    label: 'bug',
    subjects: ['Data missing from {feature}', 'Entries disappeared overnight'],
    body: 'About {count} entries we created yesterday are missing from {feature}. They still show in the activity log, so they were saved at some point. Can you check what happened?',
  },
  {
    label: 'bug',
    subjects: ['Export produces an empty file', 'Broken export from {feature}'],
    body: 'Exporting from {feature} gives a file with only the header row. It worked last week with the same filters. The message shown is "{error}".',
  },
  {
    label: 'bug',
    subjects: ['{product} extremely slow', 'Performance problem since the last release'],
    body: 'Since {date}, loading {feature} takes more than {seconds} seconds for everyone in our office. Other sites load fine, so it is not our network.',
  },
  {
    label: 'bug',
    subjects: ['Save button unresponsive in {browser}', 'UI glitch on {feature}'],
    body: 'In {browser} the Save button on {feature} does nothing when clicked. The console shows "{error}". It works in another browser, but our company only allows {browser}.',
  },
  {
    label: 'bug',
    subjects: ['Emails from {product} not arriving', 'Notifications not delivered'],
    body: 'Nobody on our team has received notification emails from {product} since {date}. Nothing in spam either, and we have not changed any settings.',
  },
  // account
  {
    label: 'account',
    subjects: ['Cannot sign in', 'Locked out of my account', 'Login problem'],
    body: 'I can\'t get into my account. After entering my password I get "{loginError}". I\'ve already reset the password twice.',
  },
  {
    label: 'account',
    subjects: ['Lost access to two-factor authentication', 'New phone, no 2FA codes'],
    body: "I replaced my phone and no longer have my authenticator codes. My backup codes are in an office I can't get to until {date}. How can I prove who I am and get back in?",
  },
  {
    label: 'account',
    subjects: ['Change the email on my account', 'Update my login email'],
    body: 'Please change the email address on my account from {email} to {newEmail}. I lose access to the old mailbox on {date}.',
  },
  {
    label: 'account',
    subjects: ['Remove a user who left', 'Deactivate former employee'],
    body: '{colleague} left the company on {date}. Please make sure they can no longer get into our workspace, and move their projects over to me.',
  },
  {
    label: 'account',
    subjects: ['Transfer workspace ownership', 'New account owner'],
    body: "I'm taking over as admin from {colleague}, who is leaving. Can ownership of our {product} workspace be transferred to me? {colleague} can confirm by email.",
  },
  {
    label: 'account',
    subjects: ['Delete my account (GDPR)', 'Data deletion request'],
    body: 'Please close my account and erase all personal data linked to {email}, as is my right under GDPR. Please confirm once it is done.',
  },
  {
    label: 'account',
    subjects: ['SSO login fails for new staff', 'Problem with single sign-on'],
    body: 'New employees who sign in with {ssoProvider} get "{ssoError}". Everyone who joined before {date} can log in normally.',
  },
  {
    label: 'account',
    subjects: ['Account suspended', 'Why was my account suspended?'],
    body: "My account was suspended this morning with a notice about unusual activity. I haven't done anything differently. Please reactivate it, I need {product} for work today.",
  },
  // how_to
  {
    label: 'how_to',
    subjects: ['How do I export my data?', 'Exporting to Excel'],
    body: 'How can I get all my {feature} data out of {product} into Excel? I need it for a quarterly review.',
  },
  {
    label: 'how_to',
    subjects: ['Adding teammates', 'How to invite colleagues'],
    body: 'We just started on the {plan} plan. How do I invite {count} colleagues and give some of them view-only access?',
  },
  {
    label: 'how_to',
    subjects: ['Connect {integration}?', 'Does {product} work with {integration}?'],
    body: 'Is it possible to connect {product} to {integration}? If so, where do I set it up, and does it sync both ways?',
  },
  {
    label: 'how_to',
    subjects: ['Where do I create an API key?', 'API access question'],
    body: 'I want to pull data from {product} into our own dashboard. Where do I create an API key, and what are the rate limits?',
  },
  {
    label: 'how_to',
    subjects: ['Turn off some email notifications', 'Too many notification emails'],
    body: 'I get an email for every single change in {feature}. Can I get a daily digest instead, or switch some of these off?',
  },
  {
    label: 'how_to',
    subjects: ['Setting up a shared dashboard', 'How to share a report'],
    body: "How do I build a dashboard from our {feature} data and share it with my manager, who doesn't have a {product} login?",
  },
  {
    label: 'how_to',
    subjects: ['Working offline on mobile', 'Mobile app question'],
    body: "I'll be travelling with little connectivity. Can I use {product} on my {device} offline and have it sync later?",
  },
  {
    label: 'how_to',
    subjects: ['Automating a weekly checklist', 'Recurring tasks possible?'],
    body: 'Every Monday I create the same checklist by hand. Is there a way to automate this, for example with a rule or a template?',
  },
  // complaint
  {
    label: 'complaint',
    subjects: ['Still no answer after {days} days', 'Very disappointed with your support'],
    body: 'I opened a ticket {days} days ago and have not had a single reply. For a {plan} customer this is not acceptable. I expect a response today.',
  },
  {
    label: 'complaint',
    subjects: ['Considering cancelling', 'We are thinking of leaving {product}'],
    body: "I'll be honest: we are close to cancelling. Every issue we report takes weeks, and the answers we get are pasted articles that don't apply to us.",
  },
  {
    label: 'complaint',
    refund: true,
    subjects: ['Compensation for the outage', 'Outage on {date} cost us money'],
    body: 'The outage on {date} left our team unable to work for most of the day, and your status page said nothing for hours. We expect a credit of {amount} for the lost day, and an explanation.',
  },
  {
    label: 'complaint',
    subjects: ['Complaint about a support agent', 'Unprofessional behaviour in chat'],
    body: "The agent I chatted with on {date} was dismissive, ignored my question and ended the chat while I was still typing. I'd like a supervisor to review this.",
  },
  {
    label: 'complaint',
    refund: true,
    subjects: ['Not what we were promised', 'Misled by your sales team'],
    body: "Before signing we were told {feature} was included in {plan}. It isn't, and now we're asked to pay more. We want either the feature or our money back ({amount}).",
  },
  {
    label: 'complaint',
    subjects: ['Speak to a manager please', 'Escalation: repeated failures'],
    body: "This is the fourth time I'm contacting you about the same thing. I don't want another generic reply; please have a manager call me.",
  },
  {
    label: 'complaint',
    subjects: ['Unacceptable price increase', 'Price hike with {days} days notice'],
    body: "Raising our price by {percent}% with {days} days' notice is unacceptable. We've been loyal customers for years and nobody even called us.",
  },
  {
    label: 'complaint',
    refund: true,
    subjects: ['Auto-renewal without notice', 'Your renewal reminder never came'],
    body: 'We were auto-renewed without the reminder your terms promise. This feels like a trap. Refund the {amount} or I will share this experience in our industry group.',
  },
];

export const FOREIGN_TEMPLATES: Readonly<Record<Exclude<TemplateLanguage, 'en'>, readonly TicketTemplate[]>> = {
  de: [
    {
      label: 'billing',
      refund: true,
      subjects: ['Doppelte Zahlung', 'Rückerstattung gewünscht'],
      body: 'Guten Tag,\n\nam {date} wurden mir für das {plan}-Abo zweimal {amount} berechnet. Bitte erstatten Sie die doppelte Zahlung.\n\nMit freundlichen Grüßen',
    },
    {
      label: 'billing',
      subjects: ['Rechnung {invoice} fehlerhaft'],
      body: 'Hallo,\n\nauf der Rechnung {invoice} fehlt unsere Umsatzsteuer-ID. Können Sie bitte eine korrigierte Rechnung schicken?\n\nDanke und viele Grüße',
    },
    {
      label: 'bug',
      subjects: ['Fehlermeldung in {feature}'],
      body: 'Hallo,\n\nseit {date} bekomme ich beim Öffnen von {feature} die Meldung "{error}". Ich nutze {browser}. Bitte prüfen Sie das.\n\nGruß',
    },
    {
      label: 'bug',
      subjects: ['App stürzt ständig ab'],
      body: 'Die {product}-App auf meinem {device} stürzt jedes Mal ab, wenn ich {feature} öffne. Neu installieren hat nicht geholfen.',
    },
    {
      label: 'account',
      subjects: ['Kann mich nicht anmelden', 'Kein Zugang zum Konto'],
      body: 'Hallo, ich komme nicht mehr in mein Konto. Beim Login erscheint "{loginError}". Das Zurücksetzen des Passworts hat nichts geändert.',
    },
    {
      label: 'account',
      subjects: ['Benutzer entfernen'],
      body: 'Guten Tag, {colleague} hat unser Unternehmen verlassen. Bitte sperren Sie den Zugang und übertragen Sie die Projekte auf mich.',
    },
    {
      label: 'how_to',
      subjects: ['Frage zum Export'],
      body: 'Hallo, wie kann ich die Daten aus {feature} nach Excel exportieren? Danke!',
    },
    {
      label: 'how_to',
      subjects: ['Kollegen einladen'],
      body: 'Wie lade ich meine Kollegen in unseren Arbeitsbereich ein, und kann ich ihnen nur Leserechte geben?',
    },
    {
      label: 'complaint',
      subjects: ['Beschwerde', 'Keine Antwort seit {days} Tagen'],
      body: 'Ich habe vor {days} Tagen ein Ticket eröffnet und bis heute keine Antwort erhalten. Für zahlende Kunden ist das inakzeptabel.',
    },
    {
      label: 'complaint',
      refund: true,
      subjects: ['Sehr enttäuscht'],
      body: 'Der Ausfall am {date} hat uns einen ganzen Arbeitstag gekostet. Wir erwarten eine Gutschrift über {amount} und eine Erklärung, sonst kündigen wir.',
    },
  ],
  es: [
    {
      label: 'billing',
      refund: true,
      subjects: ['Reembolso por cobro duplicado'],
      body: 'Hola,\n\nel {date} me cobraron dos veces {amount} por el plan {plan}. Por favor, devuélvanme el cargo duplicado.\n\nGracias',
    },
    {
      label: 'billing',
      subjects: ['Problema con el pago'],
      body: 'No puedo pagar la factura {invoice}, la tarjeta da el error "{paymentError}". ¿Hay otra forma de pago?',
    },
    {
      label: 'bug',
      subjects: ['Error en {feature}'],
      body: 'Hola, desde el {date} al abrir {feature} aparece el error "{error}". Uso {browser}. ¿Pueden revisarlo?',
    },
    {
      label: 'bug',
      subjects: ['La integración con {integration} no funciona'],
      body: 'La sincronización con {integration} dejó de funcionar el {date}. Los registros nuevos ya no aparecen.',
    },
    {
      label: 'account',
      subjects: ['No puedo acceder a mi cuenta'],
      body: 'Hola, no puedo entrar a mi cuenta, me sale "{loginError}". Ya cambié la contraseña dos veces.',
    },
    {
      label: 'account',
      subjects: ['Eliminar mi cuenta'],
      body: 'Solicito que eliminen mi cuenta y todos los datos personales asociados a {email}, según el RGPD.',
    },
    {
      label: 'how_to',
      subjects: ['¿Cómo exporto mis datos?'],
      body: 'Hola, ¿cómo puedo exportar los datos de {feature} a Excel? Gracias.',
    },
    {
      label: 'how_to',
      subjects: ['Conectar con {integration}'],
      body: '¿Es posible conectar {product} con {integration}? ¿Dónde se configura?',
    },
    {
      label: 'complaint',
      subjects: ['Queja sobre el soporte'],
      body: 'Llevo {days} días esperando una respuesta. Es inaceptable para un cliente del plan {plan}.',
    },
    {
      label: 'complaint',
      refund: true,
      subjects: ['Muy decepcionado'],
      body: 'Nos prometieron que {feature} estaba incluido en el plan {plan} y no es así. Queremos la función o la devolución de {amount}.',
    },
  ],
  fr: [
    {
      label: 'billing',
      refund: true,
      subjects: ['Remboursement demandé'],
      body: "Bonjour,\n\nj'ai été débité deux fois de {amount} le {date} pour l'abonnement {plan}. Merci de rembourser le doublon.\n\nCordialement",
    },
    {
      label: 'bug',
      subjects: ['Erreur dans {feature}'],
      body: 'Bonjour, depuis le {date}, {feature} affiche l\'erreur "{error}" sur {browser}.',
    },
    {
      label: 'account',
      subjects: ['Impossible de me connecter'],
      body: 'Bonjour, je n\'arrive plus à me connecter : le message "{loginError}" s\'affiche.',
    },
    {
      label: 'how_to',
      subjects: ['Comment inviter des collègues ?'],
      body: 'Bonjour, comment puis-je inviter mes collègues dans notre espace de travail ?',
    },
    {
      label: 'complaint',
      subjects: ['Réclamation'],
      body: "Cela fait {days} jours que j'attends une réponse. Ce service est inacceptable.",
    },
  ],
};

/** Second-topic sentences appended to some English tickets, so not every ticket is clear-cut. */
export const ASIDES: Readonly<Record<SupportLabel, readonly string[]>> = {
  billing: [
    'While I have you: our last invoice still shows the old company name.',
    "Also, can you tell me why this month's invoice is higher than usual?",
    'Separately, I think we might be paying for more seats than we use.',
  ],
  bug: [
    'Also, the search bar has been returning errors for me all week.',
    'By the way, the mobile app crashes whenever I upload a photo.',
    'Unrelated, but the PDF export cuts off the last page.',
  ],
  account: [
    "Also, I can't reset my colleague's password from the admin panel.",
    'On a side note, please remove my old email address from the account.',
    'One more thing: my two-factor codes are rejected about half the time.',
  ],
  how_to: [
    'And a quick question: is there a way to set up recurring tasks?',
    'Also, how do I change the time zone shown on due dates?',
    'P.S. where do I find the keyboard shortcuts?',
  ],
  complaint: [
    'Honestly, the support experience so far has been really disappointing.',
    "I have to say I'm getting tired of chasing you about things like this.",
    'Frankly, for what we pay this is not the service we expected.',
  ],
};

export const SLOT_VALUES = {
  product: ['Lumen', 'Lumen Boards', 'Lumen Docs', 'Lumen Desk'],
  plan: ['Starter', 'Team', 'Business', 'Scale'],
  // Names as they appear in the UI, so they read naturally in every language.
  feature: [
    'Reports',
    'Timeline',
    'Invoices',
    'Templates',
    'Kanban board',
    'Time tracking',
    'Dashboards',
    'File library',
    'Custom fields',
    'Client portal',
  ],
  error: [
    'Something went wrong (code 500)',
    'Request failed with status 502',
    "TypeError: Cannot read properties of undefined (reading 'id')",
    'ERR_CONNECTION_RESET',
    'Timeout while loading data',
    'Unexpected token < in JSON at position 0',
    'Permission denied (E403)',
    'Quota exceeded',
    'Internal error, please try again later (ref 7F3C-91)',
  ],
  browser: ['Chrome 126', 'Firefox 127', 'Safari 17.5', 'Edge 125'],
  device: ['iPhone 13', 'iPhone 15 Pro', 'Samsung Galaxy S23', 'Pixel 8', 'iPad Air', 'Android tablet'],
  integration: ['Slack', 'Salesforce', 'HubSpot', 'Google Drive', 'Microsoft Teams', 'Jira', 'Zapier', 'QuickBooks'],
  paymentError: [
    'Card declined (do_not_honor)',
    'Your card does not support this type of purchase',
    'Authentication required (3-D Secure)',
    'Insufficient funds',
  ],
  loginError: [
    'Invalid email or password',
    'Your session has expired, please sign in again',
    'Too many attempts, try again later',
    'Account not found',
  ],
  ssoProvider: ['Okta', 'Azure AD', 'Google Workspace', 'OneLogin'],
  ssoError: [
    'SAML response invalid',
    'User not assigned to this application',
    'Account not provisioned',
    'Invalid audience',
  ],
} as const;

export const MONTHS: Readonly<Record<TemplateLanguage, readonly string[]>> = {
  en: [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ],
  de: [
    'Januar',
    'Februar',
    'März',
    'April',
    'Mai',
    'Juni',
    'Juli',
    'August',
    'September',
    'Oktober',
    'November',
    'Dezember',
  ],
  es: [
    'enero',
    'febrero',
    'marzo',
    'abril',
    'mayo',
    'junio',
    'julio',
    'agosto',
    'septiembre',
    'octubre',
    'noviembre',
    'diciembre',
  ],
  fr: [
    'janvier',
    'février',
    'mars',
    'avril',
    'mai',
    'juin',
    'juillet',
    'août',
    'septembre',
    'octobre',
    'novembre',
    'décembre',
  ],
};

/** First and last names per language, so a German ticket tends to come from a German-sounding customer. */
export const NAMES: Readonly<Record<TemplateLanguage, { first: readonly string[]; last: readonly string[] }>> = {
  en: {
    first: [
      'Olivia',
      'Liam',
      'Priya',
      'Noah',
      'Amara',
      'Ethan',
      'Mei',
      'Lucas',
      'Fatima',
      'Oscar',
      'Hannah',
      'Kwame',
      'Sofia',
      'Daniel',
      'Aisha',
      'Ben',
      'Chloe',
      'Ravi',
      'Grace',
      'Tomás',
      'Yuki',
      'Marcus',
      'Leah',
      'Samuel',
    ],
    last: [
      'Bennett',
      'Okafor',
      'Nguyen',
      'Patel',
      'Sullivan',
      "O'Brien",
      'Kim',
      'Hughes',
      'Alvarez',
      'Fischer',
      'Mensah',
      'Clarke',
      'Rossi',
      'Walsh',
      'Tanaka',
      'Johansson',
      'Murphy',
      'Chen',
      'Reid',
      'Adeyemi',
      'Brooks',
      'Singh',
    ],
  },
  de: {
    first: ['Lukas', 'Anna', 'Jonas', 'Lea', 'Felix', 'Marie', 'Jürgen', 'Sabine', 'Katrin', 'Matthias'],
    last: ['Müller', 'Schmidt', 'Weber', 'Wagner', 'Becker', 'Hoffmann', 'Schäfer', 'Koch', 'Richter', 'Krüger'],
  },
  es: {
    first: ['Lucía', 'Javier', 'Carmen', 'Alejandro', 'Isabel', 'Diego', 'Paula', 'Andrés', 'Marta', 'Sergio'],
    last: ['García', 'Martínez', 'López', 'Sánchez', 'Romero', 'Navarro', 'Torres', 'Ramírez', 'Vega', 'Ortiz'],
  },
  fr: {
    first: ['Camille', 'Louis', 'Chloé', 'Hugo', 'Manon', 'Julien', 'Élodie', 'Antoine'],
    last: ['Martin', 'Bernard', 'Dubois', 'Lefèvre', 'Moreau', 'Laurent', 'Girard', 'Fontaine'],
  },
};

export const PERSONAL_DOMAINS: Readonly<Record<TemplateLanguage, readonly string[]>> = {
  en: ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'proton.me', 'hotmail.co.uk'],
  de: ['gmx.de', 'web.de', 'gmail.com', 't-online.de'],
  es: ['gmail.com', 'hotmail.es', 'yahoo.es', 'outlook.es'],
  fr: ['orange.fr', 'gmail.com', 'free.fr', 'laposte.net'],
};

export const COMPANY_DOMAINS: readonly string[] = [
  'northwindtraders.com',
  'globex.io',
  'initech.com',
  'umbrella-health.org',
  'starklogistics.com',
  'wayne-foods.com',
  'acme-corp.com',
  'hooli.xyz',
  'blueharbor.co',
  'pinecrest-legal.com',
  'brightpath.edu',
  'vandelay-imports.com',
  'meridian-labs.de',
  'solara-energia.es',
  'atelier-lumiere.fr',
];

export const GREETINGS: readonly string[] = [
  'Hi,',
  'Hello,',
  'Hi there,',
  'Hello support team,',
  'Good morning,',
  'Dear support,',
];
export const POLITE_CLOSINGS: readonly string[] = [
  'Thanks in advance!',
  'Many thanks for your help.',
  'Appreciate any help.',
];
export const FRUSTRATED_OPENERS: readonly string[] = [
  "This is the second time I'm writing about this.",
  'Honestly, I am getting tired of this.',
  'I really expected better.',
];
export const URGENT_LINES: readonly string[] = [
  'This is urgent: our team is blocked until it is sorted.',
  'We have a client deadline tomorrow, so please treat this as urgent.',
  'Please look at this asap.',
];
export const SIGNATURES: readonly string[] = [
  'Thanks,\n{first}',
  'Best regards,\n{first} {last}',
  'Cheers,\n{first}',
  '{first} {last}',
  'Kind regards,\n{first} {last}\n{company}',
  'Sent from my iPhone',
];

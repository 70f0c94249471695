import type { SupportLabel } from './support-triage';

// Hand-written inquiries, subject then body, in the shape the classifier reads (`subject\n\nbody`).
// Worded independently of the demo generator's templates so the bootstrapped model is not just
// memorising them. A few are German or Spanish, some carry typos.
type Example = readonly [subject: string, body: string];

const billing: Example[] = [
  [
    'Double charge on my card',
    'Hi, I see two charges of $29 on my statement from you on the same day. I only have one subscription. Can you refund one of them?',
  ],
  [
    'Invoice needs our VAT number',
    'Our accounting department needs the invoice re-issued with our VAT ID DE812345678 on it. Is that possible for the last three months?',
  ],
  [
    'Downgrade to basic',
    "We don't use most of the premium features anymore. How do I move to the cheaper plan and will I get credit for the rest of the year?",
  ],
  [
    'payment declined??',
    'my card keeps getting declined when i try to renew but it works everywhere else. is something wrong on your side with payments',
  ],
  [
    'Receipt for March',
    "Could someone send me a PDF receipt for the March payment? I can't find it in the billing section.",
  ],
  [
    'Cancel subscription and refund',
    "I forgot to cancel the trial and got charged for a full year. I haven't used it at all since. Please cancel and refund.",
  ],
  [
    'Change credit card',
    'Our company card expired. Where can I update the payment method so the next renewal does not fail?',
  ],
  [
    'Price increase question',
    'I got an email that the price goes up next month. Does this apply to annual plans that were already paid?',
  ],
  [
    'Charged after cancelling',
    'I cancelled on the 3rd, got a confirmation email, and still got billed on the 10th. Please reverse this.',
  ],
  ['Nonprofit discount', 'We are a registered charity. Do you offer a nonprofit discount and how do we apply?'],
  [
    'Switch to annual billing',
    'We want to pay yearly instead of monthly. Will the monthly payment for this month be credited?',
  ],
  [
    'Wrong currency on invoice',
    "We're based in the UK but the invoice is in USD. Can we be billed in GBP from now on?",
  ],
  ['Too many seats billed', 'We were billed for 25 seats but only have 18 active users. Please adjust the invoice.'],
  [
    'Bank transfer instead of card',
    "Our finance policy doesn't allow card payments. Can we pay by wire transfer against a purchase order?",
  ],
  [
    'refund plz',
    'signed up by mistake with the wrong email, paid twice now for two acounts. want the second one refunded thx',
  ],
  [
    'Sales tax charged incorrectly',
    "We're tax-exempt in Texas and sent the certificate last year, but the latest invoice has sales tax again.",
  ],
  [
    'Coupon code didnt apply',
    'I used code SPRING20 at checkout but was charged the full price. Can you apply the discount retroactively?',
  ],
  [
    'Trial ending - what will I be charged?',
    "My trial ends Friday. What exactly will be charged and when? I'd like to know before I enter my card.",
  ],
  [
    'Billing address change',
    'We moved offices. Please update our billing address for future invoices to 14 Harbour Street, Leith.',
  ],
  [
    'Unknown charge on statement',
    "There's a charge from your company that nobody on our team recognises. Can you tell me which account it belongs to?",
  ],
  [
    'Payment failed, workspace paused',
    "Our payment failed because of a bank issue, it's fixed now. How do I retry the payment so the workspace is active again?",
  ],
  [
    'Pro-rated charge explanation',
    'Why was I charged $13.47 today? I upgraded mid-month but expected the new price only from the next cycle.',
  ],
  [
    'Need a quote for procurement',
    'Procurement needs a formal quote for 40 Business licences for 12 months before they can approve the purchase.',
  ],
  ['Billing contact', 'Please send invoices to ap@northwind-traders.com instead of to me personally.'],
  [
    'Doppelte Abbuchung',
    'Hallo, Sie haben diesen Monat zweimal 49 Euro von meinem Konto abgebucht. Bitte erstatten Sie den doppelten Betrag zurück.',
  ],
  [
    'Rechnung mit falscher Firmenadresse',
    'Guten Tag, auf unserer letzten Rechnung steht noch die alte Adresse. Können Sie die Rechnung bitte korrigieren?',
  ],
  ['Cobro duplicado', 'Hola, me cobraron dos veces la suscripción de este mes. ¿Me pueden devolver uno de los cargos?'],
  [
    'Factura con datos fiscales',
    'Necesito la factura con nuestro NIF para la contabilidad. ¿Dónde la puedo descargar?',
  ],
  [
    'Cost of 5 more users',
    'How much would it cost to add 5 more users to our current Team plan, pro-rated for the remaining 7 months?',
  ],
  [
    'Refund for unused months',
    "We're closing down the project. We prepaid the year in January; can we get the unused months back?",
  ],
];

const bug: Example[] = [
  [
    'Export button does nothing',
    'Clicking Export on the reports page does nothing at all. No file, no error. Tried Chrome and Firefox.',
  ],
  [
    'App crashes on launch',
    'Since the update yesterday the Android app closes immediately after the splash screen. Pixel 7, Android 14.',
  ],
  ['Error 502 when saving', "Every time I try to save a draft I get 'Bad Gateway 502'. Lost my work twice today."],
  [
    'Calendar sync duplicates events',
    'The Google Calendar sync is creating every event three times. Started this morning.',
  ],
  [
    'Charts empty since Tuesday',
    "All dashboard charts show 'No data' since Tuesday although the raw tables still have data.",
  ],
  ['search broken', 'search returns nothing even for exact project names. worked fine last week'],
  ['Attachments not uploading', 'Uploads get stuck at 99% for any PDF over 10 MB. Smaller files are fine.'],
  [
    'Wrong timezone in reminders',
    'Reminders are sent an hour late for everyone in our Berlin office since the clocks changed.',
  ],
  ['Page keeps reloading', "The settings page keeps reloading in a loop in Safari 17 so I can't change anything."],
  [
    'Webhooks stopped firing',
    "Our webhook endpoint hasn't received any events since 02:00 UTC. The delivery log in your UI shows nothing either.",
  ],
  [
    'Numbers wrong in CSV',
    'Exported CSV shows amounts multiplied by 100 (e.g. 1250 instead of 12.50). The UI shows them correctly.',
  ],
  ['Dark mode text unreadable', 'In dark mode the comment text is black on dark grey, basically invisible.'],
  [
    'Slack notifications arrive twice',
    'Each notification arrives twice in our Slack channel since we reconnected the integration.',
  ],
  [
    'Emoji breaks the editor',
    'Typing an emoji in a task title makes the cursor jump to the start and the text gets scrambled.',
  ],
  [
    'API returns 500 on pagination',
    'GET /v2/projects?page=3 returns 500 Internal Server Error, pages 1 and 2 work. Request id 7f3a-22b1.',
  ],
  ['Deleted items come back', 'Items I delete reappear after a few minutes. Happened with about ten tasks today.'],
  ['Cant print invoices', 'When printing from the browser the invoice table is cut off after the first page.'],
  [
    'iOS app freezes when offline',
    'If I open the app in airplane mode it freezes completely and I have to force-quit it.',
  ],
  [
    'Login page spinner forever',
    'The sign-in page just shows a spinner forever for our whole team, on different networks. Status page says all green.',
  ],
  [
    'Import fails at row 1200',
    "Importing our contacts file stops at row 1200 with 'Unexpected token'. The file opens fine in Excel.",
  ],
  ['Filters reset', 'Every time I go back to the list view my saved filters are reset to the default.'],
  [
    'Very slow since update',
    "Opening any project takes 40 seconds or more since Monday's release. It used to be instant.",
  ],
  [
    'Mentions dont notify',
    'When someone @mentions me I get no email or in-app notification anymore. Definately worked before.',
  ],
  ['Broken images in shared links', 'Images in publicly shared pages show as broken icons for external viewers.'],
  [
    'Fehler beim Speichern',
    "Beim Speichern eines Formulars erscheint 'Ein unbekannter Fehler ist aufgetreten'. Das passiert seit heute bei allen Kollegen.",
  ],
  ['App stürzt ab', 'Die iPad-App stürzt jedes Mal ab, wenn ich ein Foto anhängen möchte.'],
  ['Error al exportar', "Cuando intento exportar el informe a PDF aparece un error 'timeout' y no se descarga nada."],
  ['La sincronización falla', 'Los cambios que hago en el móvil no aparecen en la versión web desde ayer.'],
  ['Keyboard shortcuts stopped working', 'Ctrl+K and the other shortcuts no longer do anything in Firefox 125.'],
  [
    'Graph labels overlap',
    'On the weekly report the axis labels overlap and the last two weeks are cut off. Screenshot attached.',
  ],
];

const account: Example[] = [
  [
    "Can't log in",
    "I'm sure my password is right but it says invalid credentials. I'd like to get back into my account.",
  ],
  [
    'Reset link expired',
    "The password reset email says the link expired as soon as I click it. I've requested it four times.",
  ],
  [
    'Lost my phone with 2FA',
    'I got a new phone and my authenticator app is gone. How can I sign in without the 2FA code?',
  ],
  [
    'Change account email',
    'I changed jobs and need my login email changed from j.doe@oldcorp.com to my personal address.',
  ],
  [
    'Remove former employee',
    "Please remove access for Mark Olsen, he left the company on Friday and we can't find how to deactivate him.",
  ],
  ['Account locked', "My account is locked after too many attempts. It's been an hour and it's still locked."],
  ['Transfer ownership', "Our workspace owner is leaving. Please transfer ownership to me, I'm the IT admin."],
  ['Delete my account and data', 'Please delete my account and all personal data you hold about me under GDPR.'],
  [
    'SSO not working for new users',
    "New employees get 'user not provisioned' when logging in through Okta. Existing users are fine.",
  ],
  [
    'Merge two accounts',
    'I accidentally created a second account with my Google login. Can you merge it into my original one?',
  ],
  [
    'Verification email never arrived',
    'Signed up two hours ago, no verification email, checked spam. Can you verify me manually?',
  ],
  ['Make me an admin', 'Our admin is on parental leave. I need admin rights to add people. Who can grant them?'],
  [
    'Suspended account??',
    'Got a message my account was suspended for suspicious activity. I did nothing unusual. Please reinstate.',
  ],
  ['Username change', "Is it possible to change my username? I'd like it to match my new surname after marriage."],
  [
    'Someone else logged into my account',
    "I got a login alert from a city I've never been to. I changed my password but want to know what they accessed.",
  ],
  [
    'Too many login prompts',
    "I'm asked to sign in again every 10 minutes. Can our session timeout be extended for our team?",
  ],
  [
    'Reactivate old account',
    'I closed my account last year and want to reactivate it with the old projects if they still exist.',
  ],
  [
    'Wrong name on profile',
    "My profile shows my colleague's name after we shared a computer. How do I fix my profile details?",
  ],
  [
    'Reset 2FA for a user',
    'One of our users lost their security key. As admin, can I reset their two-factor for them?',
  ],
  [
    'Guest cannot accept invite',
    "An external guest says the invitation link asks them to log into a workspace they don't have access to.",
  ],
  ['pasword rules', 'i cant set a new pasword it keeps saying not strong enough even with 16 characters and symbols'],
  ['Change workspace URL', 'We rebranded. Can the workspace address be changed from acme-old to acme?'],
  [
    'Locked out after SAML change',
    'We updated our SAML certificate and now nobody, me included, can sign in. We need an emergency bypass for the owner account.',
  ],
  [
    'Close our team account',
    "We're consolidating tools; please close the team workspace and remove all members' access.",
  ],
  [
    'Passwort vergessen',
    'Ich habe mein Passwort vergessen und bekomme keine E-Mail zum Zurücksetzen. Bitte helfen Sie mir.',
  ],
  ['Konto löschen', 'Bitte löschen Sie mein Benutzerkonto und alle gespeicherten Daten gemäß DSGVO.'],
  ['No puedo iniciar sesión', 'Desde ayer no puedo entrar a mi cuenta, dice que el usuario no existe.'],
  ['Cambiar correo de la cuenta', 'Quiero cambiar el correo electrónico asociado a mi cuenta por uno nuevo.'],
  [
    'Login with Microsoft',
    "Can I switch my existing account from email and password to 'Sign in with Microsoft' without losing data?",
  ],
  [
    'Email already in use',
    "When I try to join my team's workspace it says my email is already in use, but I never registered.",
  ],
];

const howTo: Example[] = [
  [
    'Monthly report in a spreadsheet',
    'Is there a way to get the monthly report into a spreadsheet so I can send it to my boss?',
  ],
  ['Recurring tasks', "Can I make a task repeat every Monday? I couldn't find the option."],
  [
    'Share a board with a client',
    "What's the best way to give a client read-only access to one project without them seeing the others?",
  ],
  ['Keyboard shortcuts list?', 'Is there a list of keyboard shortcuts somewhere?'],
  ['Attach files from Google Drive', 'How do I attach files directly from Google Drive instead of uploading them?'],
  ['Custom fields', "We'd like to track a budget number on every project. Can I add a custom field for that?"],
  ['Bulk edit', 'Is it possible to change the due date of 50 tasks at once?'],
  [
    'Pulling data into our BI tool',
    "I'm a developer and want to pull our data into our BI tool. Where do I create a token?",
  ],
  ['Mute one project', 'How can I stop getting emails for one noisy project while keeping the rest?'],
  ['Project templates', 'Can we save a project as a template so new client projects start with the same structure?'],
  ['Time zone setting', 'How do I change the time zone shown for due dates? I moved from Chicago to Lisbon.'],
  [
    'Does the app work without internet?',
    "I'm travelling next week with a spotty connection. Will the phone app still let me edit things?",
  ],
  ['Gantt view', 'Is there a timeline or gantt view and how do I turn it on?'],
  ['how do i add my team', 'just signed up, how do i get my 4 coworkers in here'],
  ['Weekly summary email', 'Can I get a summary of everything that changed each Friday automatically?'],
  [
    'Archive vs delete',
    "What's the difference between archiving and deleting a project, and can archived ones be restored?",
  ],
  ['Embed a dashboard', 'Can I embed one of our dashboards on our intranet page?'],
  ['Import from Trello', "We're moving from Trello. Is there an importer, and does it keep comments and attachments?"],
  ['Interface language', 'How do I switch the interface to French for one of my colleagues?'],
  ['Approval step', "Can I set it up so a manager has to approve a task before it's marked complete?"],
  [
    'Form entries to tasks',
    'We want new entries from our website form to create tasks automatically. Is that doable, maybe via Zapier?',
  ],
  ['Print a project', 'Is there a printer-friendly view of a project plan for a meeting?'],
  ['Colour coding', 'How do I give labels different colours so the board is easier to scan?'],
  ['Default assignee', 'Can new tasks in a project be assigned to a specific person by default?'],
  ['Wie lade ich alles herunter?', 'Wie kann ich alle Aufgaben eines Projekts als Tabelle herunterladen?'],
  ['Kalender verbinden', 'Kann ich meine Aufgaben im Outlook-Kalender sehen? Wie richte ich das ein?'],
  ['¿Cómo añado a mi equipo?', 'Hola, ¿cómo puedo añadir a mis compañeros a nuestro espacio de trabajo?'],
  [
    'Plantillas de proyecto',
    '¿Es posible crear una plantilla para reutilizar la misma estructura en varios proyectos?',
  ],
  [
    'Dependencies between tasks',
    'Can I make task B wait until task A is done? Looking for something like dependencies.',
  ],
  ['Search tips', 'Is there a way to search only within comments, or filter search results by person?'],
];

const complaint: Example[] = [
  [
    'Worst support experience',
    "I've been waiting nine days for an answer to a simple question. This is unacceptable for what we pay.",
  ],
  [
    'Cancelling because of your support',
    "Three tickets, three different agents, nobody read the history. We'll be moving to a competitor at renewal.",
  ],
  ['Rude agent', 'The agent in chat yesterday was condescending and closed the chat on me. I want this escalated.'],
  ['Promised feature never delivered', "Your sales rep promised SSO by Q2 when we signed. It's Q4. We feel misled."],
  [
    'I want to speak to a manager',
    "I've explained this problem four times. Please have a manager call me, I'm done with the ticket ping-pong.",
  ],
  [
    'Unhappy with price hike',
    'A 40% increase with two weeks notice is outrageous. Loyal customers for 6 years and this is how you treat us.',
  ],
  [
    'Outage cost us a client',
    'Your downtime last week made us miss a client deadline and we lost the account. What are you going to do about it?',
  ],
  [
    'Terrible onboarding',
    'The onboarding call was cancelled twice without notice. Not a great start to a paid contract.',
  ],
  [
    'Misleading marketing',
    "Your website says 'unlimited storage' but we got a warning at 100 GB. That is false advertising.",
  ],
  [
    'Never again',
    "honestly the most frustrating software company i've dealt with. nobody takes responsibility for anything",
  ],
  [
    'Spam from your company',
    "I unsubscribed three times and still recieve marketing emails daily. Stop it or I'll report you.",
  ],
  ['Ticket closed without a fix', 'My ticket was marked solved but nothing was fixed and nobody contacted me.'],
  [
    'Disappointed with quality',
    'Every release breaks something new. We are paying for a professional product and getting a beta.',
  ],
  ['Legal action', "If our data isn't returned by Friday as your contract states, our lawyers will get involved."],
  ['Hidden fees', 'Nobody told us that API access costs extra. Feels like a bait and switch.'],
  [
    'No response from account manager',
    "Our account manager hasn't answered a single email in a month. Who is responsible for our account now?",
  ],
  ['Chatbot is useless', 'Your bot keeps sending me the same three articles. I need a human being, not a loop.'],
  [
    'Apology expected',
    'After your team deleted our workspace by mistake, we got a two-line email. We expect a proper apology and an explanation.',
  ],
  ['Bad review incoming', "Unless someone finally helps, I'll be posting about this experience on G2 and Twitter."],
  ['Long hold times', 'I was on hold on the phone line for 55 minutes and then disconnected. Twice.'],
  [
    'Wrong advice from support',
    "The agent told me downgrading keeps my data. It didn't. I followed your advice and lost everything.",
  ],
  [
    'Your renewal practices',
    'Auto-renewing us without the reminder email you promised is not okay. We want this policy changed.',
  ],
  [
    'Beschwerde über den Kundenservice',
    'Ich warte seit zwei Wochen auf eine Antwort. So einen schlechten Service habe ich noch nie erlebt.',
  ],
  [
    'Sehr unzufrieden',
    'Ihr Vertriebsmitarbeiter hat uns Funktionen versprochen, die es nicht gibt. Wir überlegen zu kündigen.',
  ],
  ['Queja formal', 'Quiero presentar una queja formal. Nadie responde a mis correos desde hace un mes.'],
  ['Pésima atención', 'La atención al cliente ha sido pésima, me colgaron dos veces. Estoy pensando en cancelar.'],
  [
    'Ignored feedback',
    "We've reported the same usability issues in every quarterly review and nothing changes. Why do you even ask?",
  ],
  ['Careless reply', "The reply we got contained another customer's name and details. That is careless and worrying."],
  [
    'Formal escalation',
    'This is my formal escalation. The issue has been open for 30 days and our contract says 5 business days.',
  ],
  [
    'Not what we were sold',
    "The product can't do half of what was shown in the demo. We feel tricked into a two-year commitment.",
  ],
];

const byLabel: Record<SupportLabel, Example[]> = { billing, bug, account, how_to: howTo, complaint };

/**
 * Labelled inquiries that bootstrap the local naive Bayes classifier before any human verdicts exist.
 *
 * @example
 * const model = trainNaiveBayes(supportSeedExamples); // 150 examples, 30 per label
 */
export const supportSeedExamples: { text: string; label: string }[] = Object.entries(byLabel).flatMap(
  ([label, examples]) => examples.map(([subject, body]) => ({ text: `${subject}\n\n${body}`, label })),
);

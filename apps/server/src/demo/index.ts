export { type CrmRecord, crmRecordFor } from './support-crm';
export { type Handoff, type HandoffPriority, handoffFor, type SupportTeam, soundsUrgent } from './support-handoff';
export {
  HISTORY_KEY_PREFIX,
  HISTORY_MODEL,
  HISTORY_MODEL_VERSIONS,
  historyModelOn,
  seedSupportHistory,
} from './support-history';
export {
  generateLabelledSupportItems,
  generateSupportItems,
  type LabelledSupportItem,
  mulberry32,
  type SupportItem,
} from './support-items';
export { FALLBACK_ARTICLE, KNOWLEDGE_BASE, type KnowledgeBaseArticle, pickArticle } from './support-knowledge-base';
export { registerDemoPolicyHistory, supportTriageFirstVersion } from './support-policy-history';
export { supportSeedExamples } from './support-seed-examples';
export {
  ESCALATION_LABELS,
  isEnglish,
  REFUND_REVIEW_LIMIT_USD,
  SUPPORT_CHANNELS,
  SUPPORT_LABELS,
  SUPPORT_TIERS,
  type SupportChannel,
  type SupportContext,
  type SupportLabel,
  type SupportTier,
  type SupportTriageInput,
  supportTriage,
  supportTriageInput,
  ticketText,
} from './support-triage';
export {
  CLAUSE_LABELS,
  type ClauseLabel,
  type ClauseOutcome,
  type ClauseProgress,
  CONTRACT_POLICY,
  LEGAL_LABELS,
  type LegalLabel,
  nextClause,
  POLICY_TOPIC,
  RISKY_CLAUSES,
  STANDARD_CLAUSES,
  vendorClauseSeedExamples,
} from './vendor-clauses';
export { type DocumentFormat, generateVendorSubmissions, type VendorSubmission } from './vendor-documents';
export {
  ENTITY_TYPES,
  MAX_CLAUSES,
  PAYMENT_TERMS,
  recordOf,
  TAX_FORMS,
  TAX_ID_AUTO_ACCEPT,
  VENDOR_FOUR_EYES_USD,
  type VendorContext,
  type VendorOnboardingInput,
  type VendorRecord,
  vendorIdFor,
  vendorOnboarding,
  vendorOnboardingInput,
  vendorRecord,
} from './vendor-onboarding';
export {
  checkTaxIdWithRegistry,
  registryOutages,
  TAX_ID_PATTERN,
  type TaxIdCheck,
  validateTaxId,
} from './vendor-tax-id';

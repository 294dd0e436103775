// `pnpm alerts`: regenerates deploy/prometheus/agentos-alerts.yml from the alert thresholds table (src/alerts.ts).
import { relative } from 'node:path';
import { writeFileAtomic } from '../harness/report/atomic.js';
import { ALERT_RULES_FILE, renderAlertRulesFile } from './alert-rules.js';

writeFileAtomic(ALERT_RULES_FILE, renderAlertRulesFile());
console.log(`wrote ${relative(process.cwd(), ALERT_RULES_FILE)}`);

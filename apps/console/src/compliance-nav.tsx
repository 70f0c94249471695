import { complianceTabs } from './nav';
import { Link, usePath } from './router';
import { useUser } from './session';
import './compliance-nav.css';

/** The tabs of the compliance section: the screens the signed-in role may open, the current one marked. */
export function ComplianceTabs() {
  const user = useUser();
  const path = usePath();
  const tabs = complianceTabs(user.role);
  if (tabs.length < 2) return null;
  return (
    <nav aria-label="Compliance" className="compliance-tabs">
      {tabs.map((t) => (
        <Link key={t.href} href={t.href} aria-current={path.startsWith(t.href) ? 'page' : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}

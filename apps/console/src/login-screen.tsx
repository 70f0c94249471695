import { loginInput } from '@signoff/core/schemas';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useSession } from './session';
import { fieldErrorsOf, messageOf, useTRPC } from './trpc';

const DEMO_LOGINS = [
  { email: 'reviewer@demo.signoff', role: 'Reviewer' },
  { email: 'reviewer2@demo.signoff', role: 'Reviewer' },
  { email: 'compliance@demo.signoff', role: 'Compliance' },
  { email: 'data@demo.signoff', role: 'Data scientist' },
  { email: 'admin@demo.signoff', role: 'Admin' },
];
const DEMO_PASSWORD = 'signoff-demo';

export function LoginScreen() {
  const trpc = useTRPC();
  const { signIn, notice } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const login = useMutation(trpc.auth.login.mutationOptions({ onSuccess: (s) => signIn({ user: s.user }) }));

  const serverFieldErrors = Object.fromEntries(fieldErrorsOf(login.error).map((f) => [f.path, f.message]));
  const errors: Record<string, string | undefined> = { ...serverFieldErrors, ...localErrors };
  const formError = login.error && !Object.keys(serverFieldErrors).length ? messageOf(login.error) : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = loginInput.safeParse({ email: email.trim(), password });
    if (!parsed.success) {
      setLocalErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
      return;
    }
    setLocalErrors({});
    login.mutate(parsed.data);
  };

  const fillDemo = (demoEmail: string) => {
    setEmail(demoEmail);
    setPassword(DEMO_PASSWORD);
    setLocalErrors({});
    login.reset();
  };

  return (
    <main className="login-page">
      <div className="login-card">
        <div className="brand brand-large">
          <BrandMark />
          <span>Signoff</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">Review AI decisions, confirm or correct them, and keep the record straight.</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <form onSubmit={submit} noValidate>
          {formError && (
            <div className="form-error" role="alert">
              {formError}
            </div>
          )}
          <div className="field">
            <label htmlFor="login-email">Email</label>
            <input
              id="login-email"
              type="email"
              autoComplete="username"
              // biome-ignore lint/a11y/noAutofocus: the sign-in form is the only thing on this page
              autoFocus
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-invalid={errors.email ? true : undefined}
              aria-describedby={errors.email ? 'login-email-error' : undefined}
            />
            {errors.email && (
              <p className="field-error" id="login-email-error">
                {errors.email}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="login-password">Password</label>
            <input
              id="login-password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={errors.password ? true : undefined}
              aria-describedby={errors.password ? 'login-password-error' : undefined}
            />
            {errors.password && (
              <p className="field-error" id="login-password-error">
                {errors.password}
              </p>
            )}
          </div>
          <button type="submit" className="button button-primary button-block" disabled={login.isPending}>
            {login.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <section className="demo-logins" aria-labelledby="demo-logins-heading">
          <h2 id="demo-logins-heading">Demo accounts</h2>
          <p className="muted small">
            Password for all: <code>{DEMO_PASSWORD}</code>. Click one to fill the form.
          </p>
          <ul>
            {DEMO_LOGINS.map((d) => (
              <li key={d.email}>
                <button type="button" className="demo-login" onClick={() => fillDemo(d.email)}>
                  <span className="demo-email">{d.email}</span>
                  <span className="demo-role">{d.role}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </main>
  );
}

export function BrandMark() {
  return (
    <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="7" />
      <path d="M9 16.5l4.5 4.5L23 11.5" />
    </svg>
  );
}

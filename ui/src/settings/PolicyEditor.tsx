// Approval rules: allow / ask / deny per kind of action, and exec rules by prefix.

import { useEffect, useId, useState } from "react";
import { api } from "../api/endpoints";
import { PlusIcon, TrashIcon } from "../components/Icons";
import { Spinner } from "../components/Spinner";
import { useToast } from "../components/Toasts";
import type { PolicyConfig, SettingsView, Verdict } from "../generated/protocol";

type VerdictField = Exclude<keyof PolicyConfig, "exec_rules">;

const FIELDS: { key: VerdictField; label: string; help: string; testId: string }[] = [
  { key: "write", label: "Write files in the workspace", help: "Create, edit or delete files inside the workspace folder.", testId: "policy-write" },
  { key: "exec", label: "Run shell commands", help: "Commands no exec rule below matches.", testId: "policy-exec" },
  { key: "web_fetch", label: "Fetch web pages", help: "Download a URL from the internet.", testId: "policy-web-fetch" },
  { key: "outside_read", label: "Read outside the workspace", help: "Read files anywhere else on this machine.", testId: "policy-outside-read" },
  { key: "outside_write", label: "Write outside the workspace", help: "Change files anywhere else on this machine.", testId: "policy-outside-write" },
  { key: "screenshot", label: "Look at the screen", help: "Take a screenshot of the desktop (desktop app).", testId: "policy-screenshot" },
  { key: "input", label: "Control mouse and keyboard", help: "Move and click the mouse, type, press keys (desktop app).", testId: "policy-input" },
  { key: "notify", label: "Show notifications", help: "Pop up a desktop notification.", testId: "policy-notify" },
  {
    key: "skill_tools",
    label: "Tools added by skills you did not write",
    help: "Tools that come with skills from other people. Pincer's bundled skills and ones you made with “pincer skills new” run theirs without asking unless this is Deny.",
    testId: "policy-skill-tools",
  },
];

const VERDICTS: { value: Verdict; label: string }[] = [
  { value: "allow", label: "Allow" },
  { value: "ask", label: "Ask me" },
  { value: "deny", label: "Deny" },
];

let ruleKeys = 0;
// `sandbox` and `network` are set in config.toml only; the editor keeps them as they are.
type RuleRow = { key: number; prefix: string; action: Verdict; sandbox?: boolean; network?: boolean };

function rulesOf(p: PolicyConfig): RuleRow[] {
  return p.exec_rules.map((r) => ({ ...r, key: ++ruleKeys }));
}

export function PolicyEditor({ settings, onSaved }: { settings: SettingsView; onSaved: (s: SettingsView) => void }) {
  const toast = useToast();
  const id = useId();
  const [policy, setPolicy] = useState<PolicyConfig>(settings.policy);
  const [rules, setRules] = useState<RuleRow[]>(() => rulesOf(settings.policy));
  const [baseline, setBaseline] = useState(settings.policy);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (settings.policy !== baseline) {
      setBaseline(settings.policy);
      setPolicy(settings.policy);
      setRules(rulesOf(settings.policy));
    }
  }, [settings, baseline]);

  const current: PolicyConfig = {
    ...policy,
    exec_rules: rules.map(({ key: _key, ...r }) => ({ ...r, prefix: r.prefix.trim() })),
  };
  const dirty = JSON.stringify(current) !== JSON.stringify(baseline);

  const save = async () => {
    if (current.exec_rules.some((r) => !r.prefix)) {
      setError("Every exec rule needs a command prefix.");
      return;
    }
    const seen = new Set<string>();
    for (const r of current.exec_rules) {
      if (seen.has(r.prefix)) {
        setError(`Two exec rules have the prefix “${r.prefix}”.`);
        return;
      }
      seen.add(r.prefix);
    }
    setSaving(true);
    setError(null);
    try {
      const view = await api.savePolicy(current);
      onSaved(view);
      toast("Approval rules saved", { kind: "success", testId: "settings-saved" });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="settings-section" aria-labelledby="policy-title">
      <div className="section-head">
        <h2 id="policy-title">Approval rules</h2>
        <p className="muted">What Pincer may do on its own, what it asks you first, and what it never does.</p>
      </div>

      <div className="card policy-list">
        {FIELDS.map((f) => (
          <div className="policy-row" key={f.key}>
            <div className="policy-text">
              <label htmlFor={`${id}-${f.key}`}>{f.label}</label>
              <p className="muted">{f.help}</p>
            </div>
            <select
              id={`${id}-${f.key}`}
              data-testid={f.testId}
              className={`verdict verdict-${policy[f.key]}`}
              value={policy[f.key]}
              onChange={(e) => setPolicy({ ...policy, [f.key]: e.target.value as Verdict })}
            >
              {VERDICTS.map((v) => (
                <option key={v.value} value={v.value}>
                  {v.label}
                </option>
              ))}
            </select>
          </div>
        ))}
      </div>

      <h3 className="subhead">Shell command rules</h3>
      <p className="muted">
        Rules by command prefix, e.g. <code>git status</code> → Allow. The longest matching prefix wins; other commands
        follow “Run shell commands”.
      </p>
      {rules.length > 0 ? (
        <div className="table-wrap">
          <table className="rules-table">
            <thead>
              <tr>
                <th scope="col">Command prefix</th>
                <th scope="col">Action</th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.map((r, i) => (
                <tr key={r.key} data-testid="exec-rule">
                  <td>
                    <input
                      aria-label={`Prefix of rule ${i + 1}`}
                      value={r.prefix}
                      placeholder="e.g. git status"
                      spellCheck={false}
                      autoComplete="off"
                      onChange={(e) => setRules((rs) => rs.map((x) => (x.key === r.key ? { ...x, prefix: e.target.value } : x)))}
                    />
                  </td>
                  <td>
                    <select
                      aria-label={`Action of rule ${i + 1}`}
                      value={r.action}
                      className={`verdict verdict-${r.action}`}
                      onChange={(e) =>
                        setRules((rs) => rs.map((x) => (x.key === r.key ? { ...x, action: e.target.value as Verdict } : x)))
                      }
                    >
                      {VERDICTS.map((v) => (
                        <option key={v.value} value={v.value}>
                          {v.label}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <button
                      type="button"
                      className="icon-btn danger"
                      aria-label={`Remove rule ${r.prefix || i + 1}`}
                      onClick={() => setRules((rs) => rs.filter((x) => x.key !== r.key))}
                    >
                      <TrashIcon size={16} />
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="empty-note">No command rules.</p>
      )}

      <div className="section-actions">
        <button
          type="button"
          className="btn"
          data-testid="exec-rule-add"
          onClick={() => setRules((rs) => [...rs, { key: ++ruleKeys, prefix: "", action: "allow" }])}
        >
          <PlusIcon size={16} /> Add rule
        </button>
        <span className="spacer" />
        {dirty && !saving && <span className="muted unsaved">Unsaved changes</span>}
        <button type="button" className="btn btn-primary" data-testid="policy-save" onClick={save} disabled={saving}>
          {saving && <Spinner size={14} />} Save rules
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert" data-testid="policy-error">
          {error}
        </p>
      )}
    </section>
  );
}

// "Log out everywhere": ends every browser login (this page's too) and closes their live
// connections, for when a login may have leaked. Scripts with the API token go on.

import { useState } from "react";
import { api } from "../api/endpoints";
import { emitAuthRequired } from "../api/rest";
import { Spinner } from "../components/Spinner";

export function LogoutEverywhere() {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const logOutAll = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.logoutEverywhere();
      // This page's login ended with the others: back to the login page.
      emitAuthRequired();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <div className="logout-everywhere">
      <p className="muted">
        Think someone else got in? Log out every browser and app window signed in to Pincer, this one included.
        Sign in again with <code>pincer login</code>.
      </p>
      <div className="section-actions">
        {confirming ? (
          <>
            <button
              type="button"
              className="btn btn-danger"
              data-testid="logout-everywhere-confirm"
              disabled={busy}
              onClick={logOutAll}
            >
              {busy && <Spinner size={14} />} Log out every browser
            </button>
            <button type="button" className="btn" autoFocus disabled={busy} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button
            type="button"
            className="btn btn-danger-outline"
            data-testid="logout-everywhere"
            onClick={() => setConfirming(true)}
          >
            Log out everywhere…
          </button>
        )}
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

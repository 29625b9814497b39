// Short-lived notices in a corner. `toast()` is available anywhere under <ToastProvider>.
// A toast may carry one action (Undo): pressing it runs the action and closes the toast.

import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { CloseIcon } from "./Icons";

export interface ToastAction {
  label: string;
  onClick: () => void;
  testId?: string;
}

export interface ToastOptions {
  kind?: "success" | "error" | "info";
  testId?: string;
  durationMs?: number;
  action?: ToastAction;
}

interface Toast extends Required<Omit<ToastOptions, "testId" | "action">> {
  id: number;
  message: string;
  testId: string | undefined;
  action: ToastAction | undefined;
}

type ToastFn = (message: string, options?: ToastOptions) => void;

const ToastContext = createContext<ToastFn>(() => {});

export function useToast(): ToastFn {
  return useContext(ToastContext);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);

  const toast = useCallback<ToastFn>(
    (message, options = {}) => {
      const id = nextId.current++;
      const kind = options.kind ?? "info";
      // Time to read it and reach its button.
      const durationMs = options.durationMs ?? (kind === "error" || options.action ? 8000 : 3500);
      setToasts((ts) => [...ts.slice(-3), { id, message, kind, durationMs, testId: options.testId, action: options.action }]);
      setTimeout(() => dismiss(id), durationMs);
    },
    [dismiss],
  );

  const value = useMemo(() => toast, [toast]);

  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} data-testid={t.testId}>
            <span>{t.message}</span>
            {t.action && (
              <button
                type="button"
                className="btn btn-sm toast-action"
                data-testid={t.action.testId}
                onClick={() => {
                  dismiss(t.id);
                  t.action?.onClick();
                }}
              >
                {t.action.label}
              </button>
            )}
            <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              <CloseIcon size={14} />
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

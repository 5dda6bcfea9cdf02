/**
 * Toasts without putting sonner in every page's first-load JS: the module (and its <Toaster/>)
 * loads on the first toast, and the Toaster is mounted lazily by <LazyToaster/>.
 */
type Opts = { description?: string };
type Kind = "success" | "error" | "info" | "message";

let mountToaster: (() => void) | null = null;
const queue: [Kind, string, Opts | undefined][] = [];

export function registerToasterMount(fn: () => void): void {
  mountToaster = fn;
}

function show(kind: Kind, msg: string, opts?: Opts): void {
  mountToaster?.();
  void import("sonner").then(({ toast }) => {
    queue.push([kind, msg, opts]);
    // Give the Toaster a tick to mount before flushing.
    setTimeout(() => {
      for (const [k, m, o] of queue.splice(0)) (k === "message" ? toast : toast[k])(m, o);
    }, 30);
  });
}

export const toast = {
  success: (m: string, o?: Opts) => show("success", m, o),
  error: (m: string, o?: Opts) => show("error", m, o),
  info: (m: string, o?: Opts) => show("info", m, o),
  message: (m: string, o?: Opts) => show("message", m, o),
};

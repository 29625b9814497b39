// The indicator's one control: the emergency stop. Calls the app's `emergency_stop` command.
document.getElementById("stop").addEventListener("click", () => {
  const ipc = window.__TAURI_INTERNALS__;
  if (ipc) ipc.invoke("emergency_stop").catch((e) => console.error("stop failed", e));
});

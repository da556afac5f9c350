import { focusManager, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { takeInviteToken } from "./screens/AcceptInvitation.js";

// An invitation link's token leaves the address before anything else runs (it is then held in memory only).
if (location.pathname === "/invite") takeInviteToken();

const queryClient = new QueryClient({
  defaultOptions: {
    // Refetch on window focus: a secret created in another tab shows up on return without a reload.
    queries: { refetchOnWindowFocus: true, retry: false, staleTime: 2_000 },
  },
});

// Coming back to the window (a secret was created in another tab) counts as focus, as does a tab shown again.
focusManager.setEventListener((handleFocus) => {
  const onFocus = () => handleFocus();
  addEventListener("focus", onFocus);
  document.addEventListener("visibilitychange", onFocus);
  return () => {
    removeEventListener("focus", onFocus);
    document.removeEventListener("visibilitychange", onFocus);
  };
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";

const queryClient = new QueryClient({
  defaultOptions: {
    // Refetch on window focus: a secret created in another tab shows up on return without a reload.
    queries: { refetchOnWindowFocus: true, retry: false, staleTime: 2_000 },
  },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);

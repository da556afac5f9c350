/** Organization settings: the naming policy and whether editors manage secrets. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, errorText, type UpdateSettingsInput } from "../api.js";
import { permissions, useSession } from "../session.js";
import { Check, ErrorLine, Select } from "../ui/Fields.js";

export function SettingsScreen() {
  const session = useSession();
  const org = session.org.slug;
  const can = permissions(session);
  const queryClient = useQueryClient();
  const settings = session.settings;
  const update = useMutation({
    mutationFn: (patch: UpdateSettingsInput) => api.settings.update(org, patch),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["settings", org] }),
  });
  if (!settings) return <p className="loading">Loading…</p>;
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <Select
        label="Naming policy"
        value={settings.namingPolicy}
        disabled={!can.manageSettings || update.isPending}
        onChange={(v) => update.mutate({ namingPolicy: v as "upper_snake" | "alias" })}
        options={[
          { value: "upper_snake", label: "Names in UPPER_SNAKE_CASE (API_KEY)" },
          { value: "alias", label: "Aliases: lowercase, digits, - and _ (stripe-live)" },
        ]}
      />
      <Check
        label="Editors manage secrets (create, rotate, archive, delete; never reveal)"
        checked={settings.editorsManageSecrets}
        disabled={!can.manageSettings || update.isPending}
        onChange={(editorsManageSecrets) => update.mutate({ editorsManageSecrets })}
      />
      <p className="hint">Versions kept per secret: {settings.versionsKept}.</p>
      {!can.manageSettings ? <p className="hint">Only owners and admins change these settings.</p> : null}
      <ErrorLine error={update.error ? errorText(update.error) : null} />
      {update.isSuccess ? <p role="status">Saved.</p> : null}
    </section>
  );
}

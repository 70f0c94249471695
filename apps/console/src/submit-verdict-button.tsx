/** The form's submit button (Ctrl+Enter), shared by the label and the structured forms. */
export function SubmitVerdictButton(props: { primary: boolean; busy: boolean; saving: boolean; text: string }) {
  return (
    <button
      type="submit"
      className={`button button-block button-split ${props.primary ? 'button-primary' : 'button-secondary'}`}
      disabled={props.busy}
      aria-keyshortcuts="Control+Enter"
    >
      <span>{props.saving ? 'Saving…' : props.text}</span>
      <span className="kbd-group" aria-hidden="true">
        <kbd>Ctrl</kbd>
        <kbd>Enter</kbd>
      </span>
    </button>
  );
}
